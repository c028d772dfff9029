import { useMutation, useQueryClient } from '@tanstack/react-query';
import { client, unwrap } from '@/lib/api-client';

export const scanLibrary = async (id: string) =>
  unwrap(
    await client.POST('/libraries/{library_id}/scan', { params: { path: { library_id: id } } }),
  );

export function useScanLibrary(id: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => scanLibrary(id),
    onSuccess: (scan) => queryClient.setQueryData(['scan', 'library', id], scan),
  });
}
