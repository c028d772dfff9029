/** The player's states and what moves it between them, as a pure reducer (tested alone).
 *
 *   idle → deciding → (preparing →) loading → playing ⇄ paused → ended | stopped
 *                         any state → error (with the message); error → deciding (retry)
 *
 * `preparing` is a transcode whose first segment is not up yet: the job's progress shows. */
import type { Schemas } from '@/lib/api-client';

export type Session = Schemas['PlaybackSession'];
export type Job = Schemas['Job'];

export type PlayerState =
  | { status: 'idle' }
  | { status: 'deciding'; position: number }
  | { status: 'preparing'; session: Session; job: Job | null; position: number }
  | { status: 'loading'; session: Session; position: number }
  | { status: 'playing' | 'paused'; session: Session; position: number }
  | { status: 'ended' | 'stopped'; session: Session | null; position: number }
  | { status: 'error'; message: string; session: Session | null; position: number };

export type PlayerEvent =
  | { type: 'DECIDE'; position?: number }
  | { type: 'DECIDED'; session: Session }
  | { type: 'JOB'; job: Job }
  | { type: 'PLAYABLE' }
  | { type: 'PLAYING' }
  | { type: 'PAUSED' }
  | { type: 'TIME'; position: number }
  | { type: 'ENDED' }
  | { type: 'STOP' }
  | { type: 'FAIL'; message: string };

export const initialState: PlayerState = { status: 'idle' };

const sessionOf = (s: PlayerState): Session | null => ('session' in s ? s.session : null);
const positionOf = (s: PlayerState): number => ('position' in s ? s.position : 0);

/** A job has something to play once its first media playlist lists a segment. */
export const jobPlayable = (job: Job): boolean =>
  job.playable_at != null || job.status === 'ready';

export function playerReducer(state: PlayerState, event: PlayerEvent): PlayerState {
  const position = positionOf(state);
  switch (event.type) {
    case 'DECIDE':
      return { status: 'deciding', position: event.position ?? position };
    case 'DECIDED':
      if (state.status !== 'deciding') return state;
      return event.session.status === 'transcoding'
        ? { status: 'preparing', session: event.session, job: null, position }
        : { status: 'loading', session: event.session, position };
    case 'JOB':
      if (state.status !== 'preparing') return state;
      if (event.job.status === 'failed' || event.job.status === 'cancelled') {
        return {
          status: 'error',
          message: event.job.error ?? `the transcode was ${event.job.status}`,
          session: state.session,
          position,
        };
      }
      return jobPlayable(event.job)
        ? { status: 'loading', session: state.session, position }
        : { ...state, job: event.job };
    case 'PLAYABLE':
      return state.status === 'preparing' ? { status: 'loading', session: state.session, position } : state;
    case 'PLAYING':
    case 'PAUSED': {
      const session = sessionOf(state);
      if (!session || !['loading', 'playing', 'paused', 'ended'].includes(state.status)) return state;
      return { status: event.type === 'PLAYING' ? 'playing' : 'paused', session, position };
    }
    case 'TIME':
      return 'position' in state ? ({ ...state, position: event.position } as PlayerState) : state;
    case 'ENDED':
      return { status: 'ended', session: sessionOf(state), position };
    case 'STOP':
      return state.status === 'idle' ? state : { status: 'stopped', session: sessionOf(state), position };
    case 'FAIL':
      return { status: 'error', message: event.message, session: sessionOf(state), position };
  }
}

/** Whether the media element should have a source now. */
export const hasSource = (s: PlayerState): boolean =>
  s.status === 'loading' || s.status === 'playing' || s.status === 'paused';
