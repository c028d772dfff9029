/** Formatting for people: durations, sizes, bitrates, item titles. */
import type { Schemas } from './api-client';

type Item = Schemas['MediaItem'];

export function formatDuration(seconds: number | null | undefined): string {
  if (seconds == null || !Number.isFinite(seconds)) return '–';
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

export function formatBytes(bytes: number | null | undefined): string {
  if (bytes == null) return '–';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i += 1;
  }
  return `${v.toFixed(i && v < 10 ? 1 : 0)} ${units[i]}`;
}

export function formatBitrate(bps: number | null | undefined): string {
  if (!bps) return '–';
  return bps >= 1e6 ? `${(bps / 1e6).toFixed(1)} Mb/s` : `${Math.round(bps / 1e3)} kb/s`;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** "S01E03" for an episode that has both numbers. */
export function episodeCode(item: Pick<Item, 'season' | 'episode'>): string | null {
  if (item.episode == null) return null;
  return item.season != null ? `S${pad(item.season)}E${pad(item.episode)}` : `E${pad(item.episode)}`;
}

/** What a person calls this item: the series and episode for an episode, the track for music. */
export function itemTitle(item: Item): string {
  const fileName = item.key.split('/').pop() ?? item.key;
  if (item.kind === 'episode') {
    const code = episodeCode(item);
    const name = item.episode_title ?? item.title;
    return [item.series, code, name].filter(Boolean).join(' · ') || fileName;
  }
  return item.title ?? fileName;
}

export function itemSubtitle(item: Item): string {
  if (item.kind === 'track') return [item.artist ?? item.album_artist, item.album].filter(Boolean).join(' — ');
  if (item.kind === 'episode') return item.series ?? '';
  return item.year ? String(item.year) : '';
}

export function resolutionLabel(height: number | null | undefined): string | null {
  if (!height) return null;
  if (height >= 4000) return '8K';
  if (height >= 2000) return '4K';
  if (height >= 1000) return '1080p';
  if (height >= 700) return '720p';
  return 'SD';
}
