import { Link, useNavigate, useParams, useSearchParams } from 'react-router';
import { ErrorMessage, Spinner } from '@/components/ui/status';
import { useItem } from '@/features/items/api/get-item';
import { Player } from '@/features/player/components/player';
import { itemTitle } from '@/lib/format';
import { useTitle } from './use-title';

export function PlayerRoute() {
  const { itemId = '' } = useParams();
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const item = useItem(itemId);
  const title = item.data ? itemTitle(item.data) : '';
  useTitle(title ? `Playing ${title}` : 'Player');
  const close = () => navigate(`/items/${itemId}`);
  return (
    <main id="main" className="player-page" tabIndex={-1}>
      <div className="player-bar">
        <Link to={`/items/${itemId}`} className="btn btn-link">
          ← Back
        </Link>
        <h1>{title || 'Player'}</h1>
      </div>
      {item.isPending ? (
        <Spinner label="Loading the item…" />
      ) : item.error ? (
        <ErrorMessage error={item.error} retry={() => item.refetch()} />
      ) : (
        <Player item={item.data} title={title} start={Number(params.get('t') ?? 0)} onClose={close} />
      )}
    </main>
  );
}
