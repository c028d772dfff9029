/** Grouping a library's items for browsing: series → seasons → episodes, and
 * artists → albums → tracks, in the order people expect (numbers, then names). */
import type { Schemas } from '@/lib/api-client';

type Item = Schemas['ItemDetail'];

export type Group<T> = { name: string; items: T[] };

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

function groupBy<T>(items: T[], key: (t: T) => string): Group<T>[] {
  const map = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    map.set(k, [...(map.get(k) ?? []), item]);
  }
  return [...map.entries()].map(([name, items]) => ({ name, items }));
}

const UNKNOWN_SERIES = 'Unknown series';
const UNKNOWN_ARTIST = 'Unknown artist';
const UNKNOWN_ALBUM = 'Unknown album';

export function seriesOf(items: Item[]): Group<Item>[] {
  return groupBy(items, (i) => i.series ?? UNKNOWN_SERIES).sort((a, b) => collator.compare(a.name, b.name));
}

/** The first artwork among the items (a series' or an album's cover). */
export const artworkOf = (items: Item[]): string | null => items.find((i) => i.artwork_url)?.artwork_url ?? null;

export const seasonName = (season: number | null) => (season == null ? 'Specials / no season' : `Season ${season}`);

export function seasonsOf(episodes: Item[]): { season: number | null; name: string; items: Item[] }[] {
  return groupBy(episodes, (i) => String(i.season ?? ''))
    .map((g) => {
      const season = g.items[0].season ?? null;
      const sorted = [...g.items].sort(
        (a, b) => (a.episode ?? 1e9) - (b.episode ?? 1e9) || collator.compare(a.key, b.key),
      );
      return { season, name: seasonName(season), items: sorted };
    })
    .sort((a, b) => (a.season ?? 1e9) - (b.season ?? 1e9));
}

export function artistsOf(tracks: Item[]): Group<Item>[] {
  return groupBy(tracks, (i) => i.album_artist ?? i.artist ?? UNKNOWN_ARTIST).sort((a, b) =>
    collator.compare(a.name, b.name),
  );
}

export function albumsOf(tracks: Item[]): Group<Item>[] {
  return groupBy(tracks, (i) => i.album ?? UNKNOWN_ALBUM)
    .map((g) => ({
      name: g.name,
      items: [...g.items].sort(
        (a, b) => (a.disc ?? 0) - (b.disc ?? 0) || (a.track ?? 1e9) - (b.track ?? 1e9) || collator.compare(a.key, b.key),
      ),
    }))
    .sort((a, b) => (a.items[0].year ?? 0) - (b.items[0].year ?? 0) || collator.compare(a.name, b.name));
}
