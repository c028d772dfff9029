import { useQuery } from '@tanstack/react-query';
import { client, unwrap, type Schemas } from '@/lib/api-client';

export type ItemDetail = Schemas['ItemDetail'];

export const getItem = async (id: string) =>
  unwrap(await client.GET('/items/{item_id}', { params: { path: { item_id: id } } }));

export const useItem = (id: string) =>
  useQuery({ queryKey: ['item', id], queryFn: () => getItem(id) });
