/** A music library: artists → albums → tracks. */
import { Link } from 'react-router';
import { Artwork } from '@/components/ui/artwork';
import { EmptyState, QueryState } from '@/components/ui/status';
import { formatDuration } from '@/lib/format';
import { useAllItems } from '../api/get-items';
import { albumsOf, artistsOf, artworkOf } from '../grouping';

export function MusicBrowser({
  library,
  artist,
  onArtist,
  empty,
}: {
  library: string;
  artist: string | null;
  onArtist: (name: string | null) => void;
  empty: React.ReactNode;
}) {
  const tracks = useAllItems({ library, type: 'track', sort: 'title' });
  return (
    <QueryState query={tracks} label="Loading artists…" isEmpty={(d) => d.length === 0} empty={empty}>
      {(items) => {
        const all = artistsOf(items);
        const chosen = artist ? all.find((a) => a.name === artist) : null;
        if (artist && !chosen) return <EmptyState title={`No artist named ${artist}.`} />;
        if (!chosen) {
          return (
            <ul className="grid" aria-label="Artists">
              {all.map((a) => (
                <li className="card" key={a.name}>
                  <button type="button" className="card-link" onClick={() => onArtist(a.name)}>
                    <Artwork url={artworkOf(a.items)} title={a.name} shape="square" />
                    <span className="card-title">{a.name}</span>
                    <span className="card-sub">
                      {new Set(a.items.map((i) => i.album)).size} album(s) · {a.items.length} track(s)
                    </span>
                  </button>
                </li>
              ))}
            </ul>
          );
        }
        return (
          <section aria-label={chosen.name}>
            <button type="button" className="btn btn-link" onClick={() => onArtist(null)}>
              ← All artists
            </button>
            <h2>{chosen.name}</h2>
            {albumsOf(chosen.items).map((album) => (
              <section key={album.name} className="season">
                <h3>
                  {album.name}
                  {album.items[0].year ? ` (${album.items[0].year})` : ''}
                </h3>
                <ol className="episode-list">
                  {album.items.map((t) => (
                    <li key={t.id}>
                      <Link to={`/items/${t.id}`}>
                        <span className="episode-code">{t.track ?? '—'}</span>
                        <span className="episode-title">{t.title ?? t.key.split('/').pop()}</span>
                        <span className="episode-duration">{formatDuration(t.duration)}</span>
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
