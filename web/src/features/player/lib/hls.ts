/** Attaching a source to the media element: the presigned URL as it is (DirectPlay), or the HLS
 * master through the browser's own HLS or hls.js (loaded only when needed). */
import { apiBase, authHeaders } from '@/lib/api-client';

export type Detach = () => void;

export type HlsHooks = {
  onFatal: (message: string) => void;
  onSubtitleTracks?: (names: string[]) => void;
};

export async function attachSource(
  media: HTMLMediaElement,
  url: string,
  hls: boolean,
  hooks: HlsHooks,
): Promise<Detach> {
  if (!hls || media.canPlayType('application/vnd.apple.mpegurl')) {
    media.src = url;
    return () => {
      media.removeAttribute('src');
      media.load();
    };
  }
  const { default: Hls } = await import('hls.js');
  if (!Hls.isSupported()) {
    hooks.onFatal('this browser can play neither HLS nor MediaSource');
    return () => undefined;
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
    if (data.fatal) hooks.onFatal(`HLS: ${data.details}`);
  });
  player.on(Hls.Events.SUBTITLE_TRACKS_UPDATED, (_e, data) =>
    hooks.onSubtitleTracks?.(data.subtitleTracks.map((t) => t.name)),
  );
  player.loadSource(url);
  player.attachMedia(media);
  return () => player.destroy();
}
