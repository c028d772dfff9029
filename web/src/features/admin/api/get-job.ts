import { useQuery } from '@tanstack/react-query';
import { client, unwrap } from '@/lib/api-client';

export const getJob = async (h: string) => unwrap(await client.GET('/transcodes/{h}', { params: { path: { h } } }));

/** A job, followed every 2 s while it is queued or running. */
export const useJob = (h: string) =>
  useQuery({
    queryKey: ['transcode', h],
    queryFn: () => getJob(h),
    refetchInterval: (q) => (q.state.data && ['queued', 'running'].includes(q.state.data.status) ? 2000 : false),
  });
