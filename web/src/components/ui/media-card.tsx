/** A card in a grid or row: artwork (or a placeholder), a title and a line under it, a link. */
import { Link } from 'react-router';
import { Artwork } from './artwork';

export function MediaCard({
  to,
  title,
  sub,
  artworkTitle,
  artworkUrl,
  square,
  progress,
}: {
  to: string;
  title: string;
  sub?: string;
  artworkTitle?: string;
  artworkUrl?: string | null;
  square?: boolean;
  /** 0..1 of the runtime watched */
  progress?: number;
}) {
  return (
    <li className="card">
      <Link to={to} className="card-link">
        <Artwork url={artworkUrl} title={artworkTitle ?? title} shape={square ? 'square' : 'poster'} />
        {progress != null && progress > 0 && (
          <div className="card-progress" role="progressbar" aria-label={`${title}: watched`} aria-valuenow={Math.round(progress * 100)} aria-valuemin={0} aria-valuemax={100}>
            <span style={{ width: `${Math.min(100, progress * 100)}%` }} />
          </div>
        )}
        <span className="card-title">{title}</span>
        {sub && <span className="card-sub">{sub}</span>}
      </Link>
    </li>
  );
}
