import { useMutation, useQueryClient } from '@tanstack/react-query';
import { client, unwrap } from '@/lib/api-client';

export const cancelJob = async (h: string) => unwrap(await client.DELETE('/transcodes/{h}', { params: { path: { h } } }));

export function useCancelJob() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: cancelJob,
    onSuccess: (job) => queryClient.setQueryData(['transcode', job.h], job),
  });
}
