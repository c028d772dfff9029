/** Attaching a source to the media element: the presigned URL as it is (DirectPlay), or the HLS
 * master through hls.js (loaded only when needed) or the browser's own HLS. */
import { apiBase, authHeaders } from '@/lib/api-client';

export type Detach = () => void;

export type HlsHooks = {
  onFatal: (message: string) => void;
  /** show the playlist's subtitle track (the decision delivered the chosen one there) */
  subtitles?: boolean;
};

export async function attachSource(
  media: HTMLMediaElement,
  url: string,
  hls: boolean,
  hooks: HlsHooks,
): Promise<Detach> {
  // hls.js wherever MediaSource is there (its buffering and errors are the same everywhere);
  // the browser's own HLS only where it is not (iOS Safari)
  const Hls = hls ? (await import('hls.js')).default : null;
  if (!Hls || !Hls.isSupported()) {
    if (hls && !media.canPlayType('application/vnd.apple.mpegurl')) {
      hooks.onFatal('this browser can play neither HLS nor MediaSource');
      return () => undefined;
    }
    media.src = url;
    return () => {
      media.removeAttribute('src');
      media.load();
    };
  }
  const api = apiBase();
  const player = new Hls({
    // the playlists come from the API (credentials); the segments are presigned (none)
    xhrSetup(xhr, target) {
      if (target.startsWith(api)) {
        for (const [k, v] of Object.entries(authHeaders())) xhr.setRequestHeader(k, v);
      }
    },
    // a playlist still being written: keep asking for segments that are not up yet
    manifestLoadPolicy: {
      default: {
        maxTimeToFirstByteMs: 10_000,
        maxLoadTimeMs: 20_000,
        timeoutRetry: { maxNumRetry: 4, retryDelayMs: 500, maxRetryDelayMs: 4000 },
        errorRetry: { maxNumRetry: 6, retryDelayMs: 500, maxRetryDelayMs: 4000 },
      },
    },
  });
  player.on(Hls.Events.ERROR, (_e, data) => {
    console.warn('hls.js', data.type, data.details, data.fatal ? 'fatal' : '', data.error?.message ?? '');
    if (data.fatal) hooks.onFatal(`HLS: ${data.details}`);
  });
  player.on(Hls.Events.SUBTITLE_TRACKS_UPDATED, (_e, data) => {
    if (hooks.subtitles && data.subtitleTracks.length) {
      player.subtitleTrack = 0;
      player.subtitleDisplay = true;
    }
  });
  player.loadSource(url);
  player.attachMedia(media);
  return () => player.destroy();
}
