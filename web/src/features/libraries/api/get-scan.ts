import { useQuery, useQueryClient } from '@tanstack/react-query';
import { client, unwrap, type Schemas } from '@/lib/api-client';

export type Scan = Schemas['Scan'];

export const getScan = async (id: string) =>
  unwrap(await client.GET('/scans/{scan_id}', { params: { path: { scan_id: id } } }));

/** The last scan this browser started for a library, followed every second until it completes. */
export function useLibraryScan(libraryId: string) {
  const queryClient = useQueryClient();
  const started = queryClient.getQueryData<Scan>(['scan', 'library', libraryId]);
  return useQuery({
    queryKey: ['scan', 'library', libraryId],
    queryFn: async () => {
      const scan = await getScan(started!.id);
      void queryClient.invalidateQueries({ queryKey: ['items'] });
      return scan;
    },
    enabled: !!started,
    initialData: started,
    refetchInterval: (q) => (q.state.data && q.state.data.status !== 'completed' ? 1000 : false),
  });
}
