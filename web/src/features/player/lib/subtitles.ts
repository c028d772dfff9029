/** Subtitles in the player: which track shows, and when a choice needs a new decision.
 *
 * The session lists every subtitle stream with its delivery (Jellyfin's semantics): an External
 * one has a URL and the player shows it as a <track> by itself, switching among them without
 * asking the server again; one that is burned into the video (Encode) or otherwise in the
 * stream can only be changed by a new decision. */
import { useEffect, useState } from 'react';
import type { Schemas } from '@/lib/api-client';

export type SubtitleTrack = Schemas['SubtitleTrack'];
type Session = Pick<Schemas['PlaybackSession'], 'subtitle_stream_index' | 'subtitles'>;

/** What to do for a choice: the External track to show (null: none) and, when the picture
 * itself must change, the subtitle index to decide again with (-1: none). */
export type SubtitleAction = { show: number | null; redecide: number | null };

export const isExternal = (t: SubtitleTrack | undefined): t is SubtitleTrack & { url: string } =>
  !!t && t.delivery === 'External' && !!t.url;

/** The session's chosen subtitle when it is drawn into the stream (burned in, embedded). */
function inStream(session: Session): number | null {
  const index = session.subtitle_stream_index;
  if (index == null || index < 0) return null;
  const track = (session.subtitles ?? []).find((t) => t.index === index);
  return track && !isExternal(track) && track.delivery !== 'Drop' ? index : null;
}

/** The External track a new session starts with: the one the decision chose, if External. */
export function initialSubtitle(session: Session | null): number | null {
  if (!session) return null;
  const chosen = (session.subtitles ?? []).find((t) => t.index === session.subtitle_stream_index);
  return isExternal(chosen) ? chosen.index : null;
}

/** ``wanted``: a stream index, or -1 for off. */
export function chooseSubtitle(session: Session, wanted: number): SubtitleAction {
  const burned = inStream(session);
  if (wanted < 0) return { show: null, redecide: burned != null ? -1 : null };
  const track = (session.subtitles ?? []).find((t) => t.index === wanted);
  if (isExternal(track)) return { show: wanted, redecide: burned != null ? wanted : null };
  if (burned === wanted) return { show: null, redecide: null }; // already in the picture
  return { show: null, redecide: wanted };
}

/** The selected value of the subtitle menu: the External track shown, else the one in the
 * stream, else off. */
export function selectedSubtitle(session: Session | null, shown: number | null): number {
  if (shown != null) return shown;
  return (session && inStream(session)) ?? -1;
}

const LANGUAGES = new Intl.DisplayNames(['en'], { type: 'language' });

/** A person's name for a track: title, else the language's name, with its flags. */
export function subtitleLabel(t: Pick<SubtitleTrack, 'index' | 'title' | 'language' | 'forced' | 'hearing_impaired' | 'codec'>): string {
  let language: string | null = null;
  if (t.language && t.language !== 'und') {
    try {
      language = LANGUAGES.of(t.language) ?? t.language;
    } catch {
      language = t.language;
    }
  }
  const flags = [t.forced ? 'forced' : null, t.hearing_impaired ? 'SDH' : null].filter(Boolean);
  const name = t.title || language || `Track ${t.index}`;
  return [name, ...flags, t.codec].filter(Boolean).join(' · ');
}

/** The External tracks' WebVTT as object URLs (index → URL). Fetched, not linked: a blob is
 * same-origin, so a <track> works when the API is on another origin (CloudFront) without
 * making the whole media element CORS-bound. */
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A subtitle file's text. An embedded stream is extracted by a worker on first use (a pass
 * over the whole file): until it is there the server answers 409 with Retry-After, and the
 * file is asked for again, while ``wanted()`` and for at most ``maxTries`` answers. */
export async function fetchSubtitle(url: string, wanted: () => boolean, maxTries = 120): Promise<string> {
  for (let tries = 1; ; tries++) {
    const r = await fetch(url);
    if (r.ok) return r.text();
    if (r.status !== 409 || tries >= maxTries || !wanted()) throw new Error(`HTTP ${r.status}`);
    const after = Number(r.headers.get('Retry-After'));
    await sleep((Number.isFinite(after) && after > 0 ? after : 5) * 1000);
  }
}

export function useSubtitleFiles(tracks: SubtitleTrack[]): Record<number, string> {
  const [files, setFiles] = useState<Record<number, string>>({});
  const key = tracks.map((t) => `${t.index}:${t.url}`).join('|');
  useEffect(() => {
    let live = true;
    const made: string[] = [];
    setFiles({});
    for (const t of tracks) {
      if (!isExternal(t)) continue;
      void fetchSubtitle(t.url, () => live)
        .then((text) => {
          if (!live) return;
          const url = URL.createObjectURL(new Blob([text], { type: 'text/vtt' }));
          made.push(url);
          setFiles((f) => ({ ...f, [t.index]: url }));
        })
        .catch((e: Error) => console.warn('subtitle', t.index, e.message));
    }
    return () => {
      live = false;
      made.forEach((u) => URL.revokeObjectURL(u));
    };
  }, [key]);
  return files;
}
