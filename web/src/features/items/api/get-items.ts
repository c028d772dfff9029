import { infiniteQueryOptions, useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { client, unwrap, type Schemas } from '@/lib/api-client';

export type Item = Schemas['ItemDetail'];
import type { paths } from '@/lib/api-schema';

/** Filters, search, sort and page size of `GET /items` (cursor aside), from the document. */
export type ItemQuery = Partial<NonNullable<paths['/items']['get']['parameters']['query']>>;

/** The query without empty fields (the API refuses an empty value for a typed filter). */
export function cleanQuery(query: Record<string, unknown>): ItemQuery {
  return Object.fromEntries(
    Object.entries(query).filter(([, v]) => v !== '' && v !== undefined && v !== null),
  ) as ItemQuery;
}

export const getItems = async (query: ItemQuery, cursor?: string | null) =>
  unwrap(
    await client.GET('/items', {
      params: { query: { ...cleanQuery(query), ...(cursor ? { cursor } : {}) } as never },
    }),
  );

/** One page after another on the API's cursor (infinite scroll). */
export const itemsInfiniteQuery = (query: ItemQuery) =>
  infiniteQueryOptions({
    queryKey: ['items', 'pages', cleanQuery(query)],
    queryFn: ({ pageParam }) => getItems(query, pageParam),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.cursor ?? undefined,
  });

export const useItems = (query: ItemQuery) => useInfiniteQuery(itemsInfiniteQuery(query));

/** Every item a query finds (500 a page): for grouping series and artists on the client. */
export const getAllItems = async (query: ItemQuery, max = 5000): Promise<Item[]> => {
  const all: Item[] = [];
  let cursor: string | null = null;
  do {
    const page = await getItems({ ...query, limit: 500 }, cursor);
    all.push(...page.items);
    cursor = page.cursor;
  } while (cursor && all.length < max);
  return all;
};

export const useAllItems = (query: ItemQuery) =>
  useQuery({ queryKey: ['items', 'all', cleanQuery(query)], queryFn: () => getAllItems(query) });
