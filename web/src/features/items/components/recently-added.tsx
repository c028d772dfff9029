/** The newest items across every library. */
import { useQuery } from '@tanstack/react-query';
import { EmptyState, QueryState } from '@/components/ui/status';
import { getItems } from '../api/get-items';
import { ItemCard } from './item-card';

export function RecentlyAdded({ limit = 12 }: { limit?: number }) {
  const query = { sort: 'added' as const, order: 'desc' as const, limit };
  const recent = useQuery({ queryKey: ['items', 'recent', limit], queryFn: () => getItems(query) });
  return (
    <QueryState
      query={recent}
      label="Loading recently added…"
      isEmpty={(d) => d.items.length === 0}
      empty={<EmptyState title="Nothing added yet." />}
    >
      {(page) => (
        <ul className="row" aria-label="Recently added">
          {page.items.map((item) => (
            <ItemCard key={item.id} item={item} />
          ))}
        </ul>
      )}
    </QueryState>
  );
}
