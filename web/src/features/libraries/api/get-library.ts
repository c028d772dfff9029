import { useQuery } from '@tanstack/react-query';
import { client, unwrap } from '@/lib/api-client';

export const getLibrary = async (id: string) =>
  unwrap(await client.GET('/libraries/{library_id}', { params: { path: { library_id: id } } }));

export const useLibrary = (id: string) =>
  useQuery({ queryKey: ['libraries', id], queryFn: () => getLibrary(id) });
