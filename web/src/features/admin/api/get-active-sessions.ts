import { useQuery } from '@tanstack/react-query';
import { client, unwrap } from '@/lib/api-client';

export const getActiveSessions = async () => unwrap(await client.GET('/sessions')).sessions;

export const useActiveSessions = () =>
  useQuery({ queryKey: ['sessions'], queryFn: getActiveSessions, refetchInterval: 10_000 });
