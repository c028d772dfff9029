/** A library browsed through groups: shows as series → seasons → episodes, music as
 * artists → albums → tracks. One component; each kind is a small description of its levels. */
import { Link } from 'react-router';
import { Artwork } from '@/components/ui/artwork';
import { EmptyState, QueryState } from '@/components/ui/status';
import type { Schemas } from '@/lib/api-client';
import { episodeCode, formatDuration } from '@/lib/format';
import { useAllItems } from '../api/get-items';
import { albumsOf, artistsOf, artworkOf, seasonsOf, seriesOf, type Group } from '../grouping';

type Item = Schemas['ItemDetail'];

export type GroupKind = {
  /** the item type listed (``GET /items?type=``) */
  type: 'episode' | 'track';
  /** the top level, singular and plural ("series", "artists") */
  one: string;
  many: string;
  shape?: 'square';
  groups: (items: Item[]) => Group<Item>[];
  /** a group's card line ("2 season(s) · 5 episode(s)") */
  summary: (items: Item[]) => string;
  /** the second level inside a group, each with its heading */
  sections: (items: Item[]) => { name: string; heading: string; items: Item[] }[];
  /** a row's number column and title */
  code: (item: Item) => string;
  title: (item: Item) => string;
};

const fileName = (i: Item) => i.key.split('/').pop() ?? i.key;

export const SHOWS: GroupKind = {
  type: 'episode',
  one: 'series',
  many: 'series',
  groups: seriesOf,
  summary: (items) => `${new Set(items.map((i) => i.season)).size} season(s) · ${items.length} episode(s)`,
  sections: (items) => seasonsOf(items).map((s) => ({ name: s.name, heading: s.name, items: s.items })),
  code: (e) => episodeCode(e) ?? '—',
  title: (e) => e.episode_title ?? e.title ?? fileName(e),
};

export const MUSIC: GroupKind = {
  type: 'track',
  one: 'artist',
  many: 'artists',
  shape: 'square',
  groups: artistsOf,
  summary: (items) => `${new Set(items.map((i) => i.album)).size} album(s) · ${items.length} track(s)`,
  sections: (items) =>
    albumsOf(items).map((a) => ({
      name: a.name,
      heading: a.items[0].year ? `${a.name} (${a.items[0].year})` : a.name,
      items: a.items,
    })),
  code: (t) => (t.track != null ? String(t.track) : '—'),
  title: (t) => t.title ?? fileName(t),
};

const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

export function GroupBrowser({
  kind,
  library,
  chosen: chosenName,
  onChoose,
  empty,
}: {
  kind: GroupKind;
  library: string;
  chosen: string | null;
  onChoose: (name: string | null) => void;
  empty: React.ReactNode;
}) {
  const query = useAllItems({ library, type: kind.type, sort: 'title' });
  return (
    <QueryState query={query} label={`Loading ${kind.many}…`} isEmpty={(d) => d.length === 0} empty={empty}>
      {(items) => {
        const all = kind.groups(items);
        const chosen = chosenName ? all.find((g) => g.name === chosenName) : null;
        if (chosenName && !chosen) return <EmptyState title={`No ${kind.one} named ${chosenName}.`} />;
        if (!chosen) {
          return (
            <ul className="grid" aria-label={capital(kind.many)}>
              {all.map((g) => (
                <li className="card" key={g.name}>
                  <button type="button" className="card-link" onClick={() => onChoose(g.name)}>
                    <Artwork url={artworkOf(g.items)} title={g.name} shape={kind.shape} />
                    <span className="card-title">{g.name}</span>
                    <span className="card-sub">{kind.summary(g.items)}</span>
                  </button>
                </li>
              ))}
            </ul>
          );
        }
        return (
          <section aria-label={chosen.name}>
            <button type="button" className="btn btn-link" onClick={() => onChoose(null)}>
              ← All {kind.many}
            </button>
            <h2>{chosen.name}</h2>
            {kind.sections(chosen.items).map((section) => (
              <section key={section.name} className="season">
                <h3>{section.heading}</h3>
                <ol className="episode-list">
                  {section.items.map((i) => (
                    <li key={i.id}>
                      <Link to={`/items/${i.id}`}>
                        <span className="episode-code">{kind.code(i)}</span>
                        <span className="episode-title">{kind.title(i)}</span>
                        <span className="episode-duration">{formatDuration(i.duration)}</span>
                      </Link>
                    </li>
                  ))}
                </ol>
              </section>
            ))}
          </section>
        );
      }}
    </QueryState>
  );
}
