import { useQuery } from '@tanstack/react-query';
import { client, unwrap, type Schemas } from '@/lib/api-client';

export type UserItem = Schemas['UserItemEntry'];

export const getHistory = async (user: string) =>
  unwrap(await client.GET('/users/{user_id}/history', { params: { path: { user_id: user } } })).items;

export const useHistory = (user: string) =>
  useQuery({ queryKey: ['history', user], queryFn: () => getHistory(user) });
