import { useQuery } from '@tanstack/react-query';
import { client, unwrap } from '@/lib/api-client';

export const getProviders = async () => unwrap(await client.GET('/transcode/providers')).providers;

export const useProviders = () => useQuery({ queryKey: ['providers'], queryFn: getProviders });
