/** An item's page: what it is (enrichment: overview, cast, ratings, links), the file, every
 * stream, and play / resume / mark played. */
import { Link } from 'react-router';
import { Artwork } from '@/components/ui/artwork';
import type { Schemas } from '@/lib/api-client';
import { formatBitrate, formatBytes, formatDuration, itemSubtitle, itemTitle, resolutionLabel } from '@/lib/format';

type Item = Schemas['ItemDetail'];
type Stream = Schemas['MediaStream'];
type UserData = Schemas['UserItemData'] | null | undefined;

function externalLinks(ids: Schemas['ExternalIds'] | undefined, kind: string): [string, string][] {
  if (!ids) return [];
  const links: [string, string][] = [];
  if (ids.imdb) links.push(['IMDb', `https://www.imdb.com/title/${ids.imdb}/`]);
  if (ids.tmdb) links.push(['TMDB', `https://www.themoviedb.org/${kind === 'episode' ? 'tv' : 'movie'}/${ids.tmdb}`]);
  if (ids.tvdb) links.push(['TheTVDB', `https://thetvdb.com/dereferrer/series/${ids.tvdb}`]);
  if (ids.musicbrainz_recording) links.push(['MusicBrainz recording', `https://musicbrainz.org/recording/${ids.musicbrainz_recording}`]);
  if (ids.musicbrainz_release) links.push(['MusicBrainz release', `https://musicbrainz.org/release/${ids.musicbrainz_release}`]);
  if (ids.musicbrainz_artist) links.push(['MusicBrainz artist', `https://musicbrainz.org/artist/${ids.musicbrainz_artist}`]);
  return links;
}

export function streamSummary(s: Stream): string {
  const parts: (string | null | undefined)[] = [s.codec, s.profile, s.level != null && s.type === 'video' ? `L${s.level}` : null];
  if (s.type === 'video') {
    parts.push(s.width && s.height ? `${s.width}×${s.height}` : null, resolutionLabel(s.height));
    parts.push(s.frame_rate ? `${Number(s.frame_rate.toFixed(3))} fps` : null, s.bit_depth ? `${s.bit_depth}-bit` : null);
    parts.push(s.video_range_type && s.video_range_type !== 'SDR' ? s.video_range_type : s.video_range ?? null);
  }
  if (s.type === 'audio') {
    parts.push(s.channel_layout ?? (s.channels ? `${s.channels} ch` : null), s.sample_rate ? `${s.sample_rate / 1000} kHz` : null);
  }
  parts.push(s.bitrate ? formatBitrate(s.bitrate) : null, s.language, s.title);
  if (s.default) parts.push('default');
  if (s.forced) parts.push('forced');
  if (s.external) parts.push('external');
  return parts.filter(Boolean).join(' · ');
}

export function ItemDetailView({
  item,
  userData,
  onTogglePlayed,
  playedBusy,
}: {
  item: Item;
  userData: UserData;
  onTogglePlayed: (played: boolean) => void;
  playedBusy?: boolean;
}) {
  const title = itemTitle(item);
  const meta = item.metadata;
  const position = userData?.position ?? 0;
  const played = userData?.played ?? false;
  const fileName = item.key.split('/').pop();
  return (
    <article className="detail">
      <div className="detail-art">
        <Artwork url={item.artwork_url} title={item.series ?? item.album ?? title} shape={item.kind === 'track' ? 'square' : 'poster'} />
      </div>
      <div className="detail-body">
        <h1>{title}</h1>
        <p className="detail-sub">
          {[itemSubtitle(item), item.kind === 'episode' && item.year ? String(item.year) : null, formatDuration(item.duration), item.genres?.join(', ')]
            .filter(Boolean)
            .join(' · ')}
        </p>
        {meta?.tagline && <p className="tagline">{meta.tagline}</p>}
        {item.status === 'failed' && (
          <p className="state state-error" role="alert">
            This file could not be read: {item.failure_reason ?? 'no reason given'}
          </p>
        )}
        <div className="actions">
          {item.status === 'ready' && position > 0 && (
            <Link className="btn btn-primary" to={`/play/${item.id}?t=${Math.floor(position)}`}>
              ▶ Resume from {formatDuration(position)}
            </Link>
          )}
          {item.status === 'ready' && (
            <Link className={position > 0 ? 'btn' : 'btn btn-primary'} to={`/play/${item.id}`}>
              ▶ {position > 0 ? 'Play from the start' : 'Play'}
            </Link>
          )}
          <button type="button" className="btn" onClick={() => onTogglePlayed(!played)} disabled={playedBusy} aria-pressed={played}>
            {played ? '✓ Played' : 'Mark played'}
          </button>
        </div>
        {userData && (
          <p className="detail-user">
            {played ? 'Played' : position > 0 ? `Stopped at ${formatDuration(position)}` : 'Not played'}
            {userData.play_count ? ` · played ${userData.play_count}×` : ''}
          </p>
        )}
        {item.overview && <p className="overview">{item.overview}</p>}

        {!!meta?.ratings?.length && (
          <section aria-labelledby="ratings-h">
            <h2 id="ratings-h">Ratings</h2>
            <ul className="chips">
              {meta.ratings.map((r) => (
                <li key={r.source}>
                  {r.source}: {r.value}
                  {r.votes ? ` (${r.votes} votes)` : ''}
                </li>
              ))}
            </ul>
          </section>
        )}
        {!!meta?.cast?.length && (
          <section aria-labelledby="cast-h">
            <h2 id="cast-h">Cast</h2>
            <ul className="cast">
              {meta.cast.slice(0, 20).map((p) => (
                <li key={`${p.name}-${p.role}`}>
                  <strong>{p.name}</strong>
                  {p.role && <span> as {p.role}</span>}
                </li>
              ))}
            </ul>
          </section>
        )}
        {externalLinks(meta?.external_ids, item.kind).length > 0 && (
          <section aria-labelledby="links-h">
            <h2 id="links-h">Links</h2>
            <ul className="chips">
              {externalLinks(meta?.external_ids, item.kind).map(([name, url]) => (
                <li key={name}>
                  <a href={url} target="_blank" rel="noreferrer">
                    {name}
                  </a>
                </li>
              ))}
            </ul>
          </section>
        )}

        <section aria-labelledby="file-h">
          <h2 id="file-h">File</h2>
          <dl className="facts">
            <dt>Name</dt>
            <dd className="break">{fileName}</dd>
            <dt>Container</dt>
            <dd>{item.container ?? '–'}</dd>
            <dt>Size</dt>
            <dd>{formatBytes(item.size)}</dd>
            <dt>Duration</dt>
            <dd>{formatDuration(item.duration)}</dd>
            <dt>Bitrate</dt>
            <dd>{formatBitrate(item.bitrate)}</dd>
          </dl>
        </section>
        <section aria-labelledby="streams-h">
          <h2 id="streams-h">Streams</h2>
          {item.streams?.length ? (
            <ul className="streams">
              {item.streams.map((s) => (
                <li key={s.index}>
                  <span className={`stream-type stream-${s.type}`}>{s.type}</span> {streamSummary(s)}
                </li>
              ))}
            </ul>
          ) : (
            <p>No streams were found.</p>
          )}
        </section>
      </div>
    </article>
  );
}
