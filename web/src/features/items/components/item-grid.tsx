/** A poster grid over `GET /items`, a page at a time on the API's cursor: the next page loads when
 * the end of the grid scrolls into view (or with the button, for keyboards). */
import { useEffect, useRef } from 'react';
import { EmptyState, ErrorMessage, Spinner } from '@/components/ui/status';
import { useItems, type ItemQuery } from '../api/get-items';
import { ItemCard } from './item-card';

export function ItemGrid({ query, empty }: { query: ItemQuery; empty?: React.ReactNode }) {
  const items = useItems(query);
  const sentinel = useRef<HTMLDivElement>(null);
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = items;

  useEffect(() => {
    const el = sentinel.current;
    if (!el || !hasNextPage || typeof IntersectionObserver === 'undefined') return;
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting) && !isFetchingNextPage) void fetchNextPage();
    }, { rootMargin: '400px' });
    observer.observe(el);
    return () => observer.disconnect();
  }, [hasNextPage, isFetchingNextPage, fetchNextPage]);

  if (items.isPending) return <Spinner label="Loading items…" />;
  if (items.error) return <ErrorMessage error={items.error} retry={() => items.refetch()} />;
  const all = items.data.pages.flatMap((p) => p.items);
  if (!all.length) return <>{empty ?? <EmptyState title="Nothing here." />}</>;
  return (
    <>
      <ul className="grid" aria-label="Items">
        {all.map((item) => (
          <ItemCard key={item.id} item={item} />
        ))}
      </ul>
      <div ref={sentinel} className="grid-end">
        {isFetchingNextPage && <Spinner label="Loading more…" />}
        {hasNextPage && !isFetchingNextPage && (
          <button type="button" className="btn" onClick={() => fetchNextPage()}>
            Load more
          </button>
        )}
        {items.isFetchNextPageError && <ErrorMessage error={new Error("the next page did not load")} retry={() => fetchNextPage()} />}
      </div>
    </>
  );
}
