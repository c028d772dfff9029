import { useQuery } from '@tanstack/react-query';
import { client, unwrap, type Schemas } from '@/lib/api-client';

export type UserItem = Schemas['UserItemEntry'];

export const getResume = async (user: string) =>
  unwrap(await client.GET('/users/{user_id}/resume', { params: { path: { user_id: user } } })).items;

export const useResume = (user: string) =>
  useQuery({ queryKey: ['resume', user], queryFn: () => getResume(user) });
