/** The player: decides with this browser's profile, prepares a transcode while showing its
 * progress, plays (presigned URL or HLS), reports progress, and stops the session on close. */
import { useCallback, useEffect, useMemo, useReducer, useRef, useState } from 'react';
import { ErrorMessage, Spinner } from '@/components/ui/status';
import type { Schemas } from '@/lib/api-client';
import { formatDuration } from '@/lib/format';
import { useTranscode } from '../api/get-transcode';
import { reportProgress } from '../api/report-progress';
import { startPlayback } from '../api/start-playback';
import { stopPlayback } from '../api/stop-playback';
import { browserCapabilities, buildDeviceProfile, type DeviceProfile } from '../lib/device-profile';
import { attachSource } from '../lib/hls';
import { hasSource, initialState, playerReducer } from '../lib/player-machine';
import {
  chooseSubtitle,
  initialSubtitle,
  isExternal,
  selectedSubtitle,
  subtitleLabel,
  useSubtitleFiles,
} from '../lib/subtitles';
import { WhyPanel } from './why-panel';

type Item = Schemas['ItemDetail'];

const PROGRESS_EVERY_MS = 10_000;
const SEEK_STEP = 10;

function streamLabel(s: Schemas['MediaStream']): string {
  return (
    [s.title, s.language, s.codec, s.channels ? `${s.channels} ch` : null].filter(Boolean).join(' · ') ||
    `Track ${s.index}`
  );
}

export function Player({
  item,
  title,
  start = 0,
  onClose,
  profile: givenProfile,
}: {
  item: Item;
  title: string;
  start?: number;
  onClose: () => void;
  profile?: DeviceProfile;
}) {
  const profile = useMemo(() => givenProfile ?? buildDeviceProfile(browserCapabilities()), [givenProfile]);
  const [state, dispatch] = useReducer(playerReducer, initialState);
  const [choice, setChoice] = useState<{ audio: number | null; subtitle: number | null }>({
    audio: null,
    subtitle: null,
  });
  const [duration, setDuration] = useState(item.duration ?? 0);
  const [volume, setVolume] = useState(1);
  const mediaRef = useRef<HTMLVideoElement & HTMLAudioElement>(null);
  const rootRef = useRef<HTMLDivElement>(null);
  const sessionRef = useRef<Schemas['PlaybackSession'] | null>(null);
  const startAt = useRef(start);
  const lastPos = useRef(start);
  const isAudio = item.kind === 'track';

  const session = 'session' in state ? state.session : null;
  sessionRef.current = session;

  // External subtitles: <track> elements the player switches among by itself
  const [shown, setShown] = useState<number | null>(null);
  const shownRef = useRef<number | null>(null);
  shownRef.current = shown;
  const externalTracks = useMemo(() => (session?.subtitles ?? []).filter(isExternal), [session]);
  const subtitleFiles = useSubtitleFiles(externalTracks);
  useEffect(() => setShown(initialSubtitle(sessionRef.current)), [session?.id]);
  useEffect(() => {
    const media = mediaRef.current;
    if (!media) return;
    for (const t of Array.from(media.textTracks ?? [])) {
      if (t.id.startsWith('sub-')) t.mode = t.id === `sub-${shown}` ? 'showing' : 'disabled';
    }
  }, [shown, subtitleFiles]);

  const position = () => mediaRef.current?.currentTime ?? ('position' in state ? state.position : 0);

  const report = useCallback((paused: boolean) => {
    const s = sessionRef.current;
    const media = mediaRef.current;
    // a detached element (closing, re-deciding) pauses at 0: that is no position to keep
    if (!s || !media || !media.getAttribute('src')) return;
    void reportProgress(s.id, {
      position: media.currentTime,
      paused,
      audio_stream_index: s.audio_stream_index,
      subtitle_stream_index: selectedSubtitle(s, shownRef.current), // what is on screen; -1: none
    }).catch(() => undefined);
  }, []);

  // decide (again when the audio or subtitle choice changes)
  useEffect(() => {
    let live = true;
    if (lastPos.current > 0) startAt.current = lastPos.current; // a re-decision goes on from here
    dispatch({ type: 'DECIDE', position: startAt.current });
    startPlayback(item.id, profile, {
      audio_stream_index: choice.audio,
      subtitle_stream_index: choice.subtitle,
      start_position: 0,
    })
      .then((s) => {
        if (live) dispatch({ type: 'DECIDED', session: s });
        else void stopPlayback(s.id, 0).catch(() => undefined); // superseded before it answered
      })
      .catch((e: Error) => live && dispatch({ type: 'FAIL', message: e.message }));
    return () => {
      live = false;
    };
  }, [item.id, profile, choice]);

  // a transcode being prepared: follow the job until it is playable
  const preparing = state.status === 'preparing';
  const job = useTranscode(session?.transcode_id ?? null, preparing);
  useEffect(() => {
    if (preparing && job.data) dispatch({ type: 'JOB', job: job.data });
  }, [preparing, job.data]);

  // attach the source once there is something to play
  const sourceUrl = hasSource(state) && session ? session.url : null;
  const isHls = session?.method !== 'DirectPlay';
  const subtitleWanted = session?.subtitle_stream_index != null;
  useEffect(() => {
    const media = mediaRef.current;
    if (!media || !sourceUrl) return;
    let detach: (() => void) | null = null;
    let live = true;
    void attachSource(media, sourceUrl, isHls, {
      onFatal: (message) => dispatch({ type: 'FAIL', message }),
      // subtitles delivered in the HLS playlist: show the one chosen
      subtitles: subtitleWanted,
    }).then((d) => {
      if (live) detach = d;
      else d();
    });
    return () => {
      live = false;
      detach?.();
    };
  }, [sourceUrl, isHls, subtitleWanted]);

  // progress every 10 s while playing
  const playing = state.status === 'playing';
  useEffect(() => {
    if (!playing) return;
    const t = setInterval(() => report(false), PROGRESS_EVERY_MS);
    return () => clearInterval(t);
  }, [playing, report]);

  // stop the session when the player closes, or the session is replaced
  const sessionId = session?.id;
  useEffect(() => {
    if (!sessionId) return;
    const stop = () => void stopPlayback(sessionId, lastPos.current).catch(() => undefined);
    window.addEventListener('pagehide', stop);
    return () => {
      window.removeEventListener('pagehide', stop);
      stop();
    };
  }, [sessionId]);

  const toggle = () => {
    const media = mediaRef.current;
    if (!media) return;
    if (media.paused) void media.play().catch(() => undefined);
    else media.pause();
  };
  const seekTo = (t: number) => {
    const media = mediaRef.current;
    if (media) media.currentTime = Math.max(0, Math.min(t, media.duration || duration || t));
  };
  const fullscreen = () => {
    if (document.fullscreenElement) void document.exitFullscreen();
    else void rootRef.current?.requestFullscreen?.().catch(() => undefined);
  };
  const changeVolume = (v: number) => {
    const media = mediaRef.current;
    const next = Math.max(0, Math.min(1, v));
    if (media) media.volume = next;
    setVolume(next);
  };

  // keyboard shortcuts anywhere on the page while the player is open (not while typing)
  const keys = useRef<(e: KeyboardEvent) => void>(() => undefined);
  keys.current = (e: KeyboardEvent) => {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    const target = e.target as HTMLElement;
    const tag = target?.tagName ?? '';
    if (['INPUT', 'SELECT', 'TEXTAREA'].includes(tag) && !(tag === 'INPUT' && e.key === ' ')) return;
    if ((tag === 'BUTTON' || tag === 'A' || tag === 'SUMMARY') && (e.key === ' ' || e.key === 'Enter')) return;
    const media = mediaRef.current;
    const handled: Record<string, () => void> = {
      ' ': toggle,
      k: toggle,
      ArrowLeft: () => seekTo(position() - SEEK_STEP),
      ArrowRight: () => seekTo(position() + SEEK_STEP),
      ArrowUp: () => changeVolume(volume + 0.1),
      ArrowDown: () => changeVolume(volume - 0.1),
      f: fullscreen,
      m: () => {
        if (media) media.muted = !media.muted;
      },
    };
    const action = handled[e.key];
    if (action) {
      e.preventDefault();
      action();
    }
  };
  useEffect(() => {
    const listener = (e: KeyboardEvent) => keys.current(e);
    window.addEventListener('keydown', listener);
    return () => window.removeEventListener('keydown', listener);
  }, []);

  const streams = item.streams ?? [];
  const audioStreams = streams.filter((s) => s.type === 'audio');
  const subtitleStreams = streams.filter((s) => s.type === 'subtitle');
  const pos = 'position' in state ? state.position : 0;
  const MediaTag = isAudio ? 'audio' : 'video';

  return (
    <div
      className={`player ${isAudio ? 'player-audio' : ''}`}
      ref={rootRef}
      role="region"
      aria-label={`Player: ${title}`}
      data-state={state.status}
    >
      <div className="player-stage">
        <MediaTag
          ref={mediaRef}
          className="player-media"
          playsInline
          autoPlay
          aria-label={title}
          onLoadedMetadata={(e) => {
            const media = e.currentTarget;
            setDuration(Number.isFinite(media.duration) ? media.duration : item.duration ?? 0);
            if (startAt.current > 0) media.currentTime = startAt.current;
          }}
          onDurationChange={(e) => Number.isFinite(e.currentTarget.duration) && setDuration(e.currentTarget.duration)}
          onPlaying={() => dispatch({ type: 'PLAYING' })}
          onPause={() => {
            dispatch({ type: 'PAUSED' });
            report(true);
          }}
          onSeeked={() => report(mediaRef.current?.paused ?? false)}
          onTimeUpdate={(e) => {
            const t = e.currentTarget.currentTime;
            if (t > 0) lastPos.current = t;
            dispatch({ type: 'TIME', position: t });
          }}
          onEnded={() => dispatch({ type: 'ENDED' })}
          onError={(e) => {
            const err = e.currentTarget.error;
            if (err && !isHls) dispatch({ type: 'FAIL', message: `the media element: ${err.message || `error ${err.code}`}` });
          }}
        >
          {externalTracks.map((t) =>
            subtitleFiles[t.index] ? (
              <track
                key={`${session?.id}-${t.index}`}
                id={`sub-${t.index}`}
                kind="subtitles"
                src={subtitleFiles[t.index]}
                srcLang={t.language ?? undefined}
                label={subtitleLabel(t)}
              />
            ) : null,
          )}
        </MediaTag>
        {isAudio && <div className="player-audio-title">{title}</div>}
        {(state.status === 'deciding' || state.status === 'idle') && (
          <div className="player-overlay">
            <Spinner label="Choosing how to play…" />
          </div>
        )}
        {state.status === 'preparing' && (
          <div className="player-overlay" role="status" aria-live="polite">
            <div className="preparing">
              <strong>Preparing…</strong>
              <progress max={100} value={state.job?.progress ?? undefined} aria-label="Transcode progress" />
              <span>
                {state.job?.progress != null ? `${state.job.progress.toFixed(0)} %` : 'queued'}
                {state.job?.speed ? ` · ${state.job.speed.toFixed(1)}×` : ''}
              </span>
            </div>
          </div>
        )}
        {state.status === 'loading' && (
          <div className="player-overlay player-overlay-light">
            <Spinner label="Loading…" />
          </div>
        )}
        {state.status === 'error' && (
          <div className="player-overlay">
            <ErrorMessage error={new Error(state.message)} retry={() => setChoice({ ...choice })} />
          </div>
        )}
        {state.status === 'ended' && (
          <div className="player-overlay">
            <strong>Finished.</strong>
          </div>
        )}
      </div>

      <div className="player-controls">
        <button type="button" className="btn btn-icon" onClick={toggle} aria-label={playing ? 'Pause' : 'Play'} disabled={!hasSource(state)}>
          {playing ? '❚❚' : '▶'}
        </button>
        <span className="player-time" aria-hidden="true">
          {formatDuration(pos)} / {formatDuration(duration)}
        </span>
        <input
          type="range"
          className="seek"
          min={0}
          max={Math.max(duration, 1)}
          step={1}
          value={Math.min(pos, duration || pos)}
          onChange={(e) => seekTo(Number(e.target.value))}
          aria-label="Seek"
          aria-valuetext={`${formatDuration(pos)} of ${formatDuration(duration)}`}
          disabled={!hasSource(state)}
        />
        <input
          type="range"
          className="volume"
          min={0}
          max={1}
          step={0.05}
          value={volume}
          onChange={(e) => changeVolume(Number(e.target.value))}
          aria-label="Volume"
        />
        {!isAudio && (
          <button type="button" className="btn" onClick={fullscreen}>
            Full screen
          </button>
        )}
        <button type="button" className="btn" onClick={onClose}>
          Stop
        </button>
      </div>

      <div className="player-options">
        {audioStreams.length > 1 && (
          <label>
            Audio{' '}
            <select
              value={choice.audio ?? session?.audio_stream_index ?? ''}
              onChange={(e) => setChoice({ ...choice, audio: Number(e.target.value) })}
            >
              {audioStreams.map((s) => (
                <option key={s.index} value={s.index}>
                  {streamLabel(s)}
                </option>
              ))}
            </select>
          </label>
        )}
        {subtitleStreams.length > 0 && (
          <label>
            Subtitles{' '}
            <select
              value={selectedSubtitle(session, shown)}
              disabled={!session}
              onChange={(e) => {
                if (!session) return;
                const action = chooseSubtitle(session, Number(e.target.value));
                setShown(action.show);
                if (action.redecide != null) setChoice({ ...choice, subtitle: action.redecide });
              }}
            >
              <option value={-1}>Off</option>
              {subtitleStreams.map((s) => (
                <option key={s.index} value={s.index}>
                  {subtitleLabel(s)}
                </option>
              ))}
            </select>
          </label>
        )}
        <span className="hint">Keys: space play/pause · ←/→ 10 s · ↑/↓ volume · f full screen · m mute</span>
      </div>
      {session && <WhyPanel session={session} />}
    </div>
  );
}
