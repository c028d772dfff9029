/** A shows library: series → seasons → episodes (numbers and titles). */
import { Link } from 'react-router';
import { Artwork } from '@/components/ui/artwork';
import { EmptyState, QueryState } from '@/components/ui/status';
import { episodeCode, formatDuration } from '@/lib/format';
import { useAllItems } from '../api/get-items';
import { artworkOf, seasonsOf, seriesOf } from '../grouping';

export function ShowsBrowser({
  library,
  series,
  onSeries,
  empty,
}: {
  library: string;
  series: string | null;
  onSeries: (name: string | null) => void;
  empty: React.ReactNode;
}) {
  const episodes = useAllItems({ library, type: 'episode', sort: 'title' });
  return (
    <QueryState query={episodes} label="Loading series…" isEmpty={(d) => d.length === 0} empty={empty}>
      {(items) => {
        const all = seriesOf(items);
        const chosen = series ? all.find((s) => s.name === series) : null;
        if (series && !chosen) return <EmptyState title={`No series named ${series}.`} />;
        if (!chosen) {
          return (
            <ul className="grid" aria-label="Series">
              {all.map((s) => (
                <li className="card" key={s.name}>
                  <button type="button" className="card-link" onClick={() => onSeries(s.name)}>
                    <Artwork url={artworkOf(s.items)} title={s.name} />
                    <span className="card-title">{s.name}</span>
                    <span className="card-sub">
                      {new Set(s.items.map((i) => i.season)).size} season(s) · {s.items.length} episode(s)
                    </span>
                  </button>
                </li>
              ))}
            </ul>
          );
        }
        return (
          <section aria-label={chosen.name}>
            <button type="button" className="btn btn-link" onClick={() => onSeries(null)}>
              ← All series
            </button>
            <h2>{chosen.name}</h2>
            {seasonsOf(chosen.items).map((season) => (
              <section key={season.name} className="season">
                <h3>{season.name}</h3>
                <ol className="episode-list">
                  {season.items.map((e) => (
                    <li key={e.id}>
                      <Link to={`/items/${e.id}`}>
                        <span className="episode-code">{episodeCode(e) ?? '—'}</span>
                        <span className="episode-title">{e.episode_title ?? e.title ?? e.key.split('/').pop()}</span>
                        <span className="episode-duration">{formatDuration(e.duration)}</span>
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
