import { useQuery } from '@tanstack/react-query';
import { client, unwrap } from '@/lib/api-client';

export const getTranscode = async (h: string) =>
  unwrap(await client.GET('/transcodes/{h}', { params: { path: { h } } }));

/** A job followed every second while it is preparing (and pushed by transcode events). */
export const useTranscode = (h: string | null, follow: boolean) =>
  useQuery({
    queryKey: ['transcode', h],
    queryFn: () => getTranscode(h!),
    enabled: !!h,
    refetchInterval: follow ? 1000 : false,
  });
