import { useQuery } from '@tanstack/react-query';
import { client, unwrap, type Schemas } from '@/lib/api-client';

export type UserItem = Schemas['UserItemEntry'];

export const getNextUp = async (user: string) =>
  unwrap(await client.GET('/users/{user_id}/next-up', { params: { path: { user_id: user } } })).items;

export const useNextUp = (user: string) =>
  useQuery({ queryKey: ['next-up', user], queryFn: () => getNextUp(user) });
