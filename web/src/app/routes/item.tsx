import { useParams } from 'react-router';
import { ErrorMessage, Spinner } from '@/components/ui/status';
import { useItem } from '@/features/items/api/get-item';
import { useSetPlayed } from '@/features/items/api/set-played';
import { ItemDetailView } from '@/features/items/components/item-detail';
import { useHistory } from '@/features/sessions/api/get-history';
import { useAuth } from '@/lib/auth';
import { itemTitle } from '@/lib/format';
import { useTitle } from './use-title';

export function ItemRoute() {
  const { itemId = '' } = useParams();
  const { user } = useAuth();
  const item = useItem(itemId);
  const history = useHistory(user);
  const played = useSetPlayed(user, itemId);
  useTitle(item.data ? itemTitle(item.data) : undefined);
  if (item.isPending) return <Spinner label="Loading the item…" />;
  if (item.error) return <ErrorMessage error={item.error} retry={() => item.refetch()} />;
  const userData = played.data ?? history.data?.find((e) => e.item.id === itemId)?.user_data;
  return (
    <div className="page">
      <ItemDetailView item={item.data} userData={userData} onTogglePlayed={(p) => played.mutate(p)} playedBusy={played.isPending} />
      {played.error && <ErrorMessage error={played.error} />}
    </div>
  );
}
