import { useMutation, useQueryClient } from '@tanstack/react-query';
import { client, unwrap, type Schemas } from '@/lib/api-client';

export type LibraryInput = Schemas['LibraryCreate'];

export const createLibrary = async (body: LibraryInput) =>
  unwrap(await client.POST('/libraries', { body }));

export function useCreateLibrary() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: createLibrary,
    onSuccess: (created) => {
      queryClient.setQueryData(['scan', 'library', created.library.id], created.scan);
      return queryClient.invalidateQueries({ queryKey: ['libraries'] });
    },
  });
}
