/** Items the scan could not read, with the reason it gave. */
import { useQuery } from '@tanstack/react-query';
import { ErrorMessage } from '@/components/ui/status';
import { getItems } from '../api/get-items';

export function FailedItems({ library }: { library: string }) {
  const query = { library, status: 'failed' as const, limit: 100 };
  const failed = useQuery({ queryKey: ['items', 'failed', library], queryFn: () => getItems(query) });
  if (failed.error) return <ErrorMessage error={failed.error} />;
  const items = failed.data?.items ?? [];
  if (!items.length) return null;
  return (
    <section className="failed" aria-labelledby="failed-heading">
      <h2 id="failed-heading">Failed items ({items.length})</h2>
      <ul>
        {items.map((i) => (
          <li key={i.id}>
            <code>{i.key}</code>
            <span className="failed-reason">{i.failure_reason ?? 'no reason given'}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}
