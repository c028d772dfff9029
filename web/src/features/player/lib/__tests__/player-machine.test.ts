import { describe, expect, it } from 'vitest';
import { job, session } from '@/testing/fixtures';
import { hasSource, initialState, type PlayerEvent, playerReducer, type PlayerState } from '../player-machine';

const run = (events: PlayerEvent[], from: PlayerState = initialState) => events.reduce(playerReducer, from);

describe('player state machine', () => {
  it('plays a DirectPlay session once decided', () => {
    const s = run([{ type: 'DECIDE' }, { type: 'DECIDED', session: session() }]);
    expect(s.status).toBe('loading');
    expect(hasSource(s)).toBe(true);
    expect(run([{ type: 'PLAYING' }], s).status).toBe('playing');
    expect(run([{ type: 'PLAYING' }, { type: 'PAUSED' }], s).status).toBe('paused');
  });

  it('prepares a transcode until its job is playable, keeping the progress', () => {
    const decided = run([{ type: 'DECIDE' }, { type: 'DECIDED', session: session({ method: 'Transcode', status: 'transcoding', transcode_id: 'abc123' }) }]);
    expect(decided.status).toBe('preparing');
    expect(hasSource(decided)).toBe(false);
    const running = run([{ type: 'JOB', job: job({ progress: 40 }) }], decided);
    expect(running).toMatchObject({ status: 'preparing', job: { progress: 40 } });
    expect(run([{ type: 'JOB', job: job({ playable_at: '2026-01-01T00:00:01Z' }) }], running).status).toBe('loading');
    expect(run([{ type: 'JOB', job: job({ status: 'ready', progress: 100 }) }], running).status).toBe('loading');
  });

  it('fails with the job error when the transcode fails or is cancelled', () => {
    const decided = run([{ type: 'DECIDE' }, { type: 'DECIDED', session: session({ status: 'transcoding' }) }]);
    expect(run([{ type: 'JOB', job: job({ status: 'failed', error: 'ffmpeg exited 1' }) }], decided)).toMatchObject({
      status: 'error',
      message: 'ffmpeg exited 1',
    });
    expect(run([{ type: 'JOB', job: job({ status: 'cancelled' }) }], decided)).toMatchObject({
      status: 'error',
      message: 'the transcode was cancelled',
    });
  });

  it('ignores media events that come before there is a source', () => {
    expect(run([{ type: 'DECIDE' }, { type: 'PLAYING' }]).status).toBe('deciding');
    expect(run([{ type: 'PLAYING' }]).status).toBe('idle');
    const preparing = run([{ type: 'DECIDE' }, { type: 'DECIDED', session: session({ status: 'transcoding' }) }]);
    expect(run([{ type: 'PAUSED' }], preparing).status).toBe('preparing');
  });

  it('ignores a late decision and a late job after a stop', () => {
    const stopped = run([{ type: 'DECIDE' }, { type: 'STOP' }]);
    expect(stopped.status).toBe('stopped');
    expect(run([{ type: 'DECIDED', session: session() }], stopped).status).toBe('stopped');
    expect(run([{ type: 'JOB', job: job() }], stopped).status).toBe('stopped');
  });

  it('keeps the position across a re-decision (audio or subtitle change)', () => {
    const playing = run([{ type: 'DECIDE' }, { type: 'DECIDED', session: session() }, { type: 'PLAYING' }, { type: 'TIME', position: 42 }]);
    const again = run([{ type: 'DECIDE' }], playing);
    expect(again).toEqual({ status: 'deciding', position: 42 });
    expect(run([{ type: 'DECIDE', position: 7 }], playing)).toEqual({ status: 'deciding', position: 7 });
  });

  it('ends, and can be played again after the end', () => {
    const ended = run([{ type: 'DECIDE' }, { type: 'DECIDED', session: session() }, { type: 'PLAYING' }, { type: 'ENDED' }]);
    expect(ended.status).toBe('ended');
    expect(run([{ type: 'PLAYING' }], ended).status).toBe('playing');
  });

  it('fails from anywhere with the message', () => {
    expect(run([{ type: 'FAIL', message: 'boom' }])).toMatchObject({ status: 'error', message: 'boom' });
  });
});
