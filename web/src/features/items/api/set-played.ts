import { useMutation, useQueryClient } from '@tanstack/react-query';
import { client, unwrap } from '@/lib/api-client';

export const setPlayed = async (user: string, itemId: string, played: boolean) => {
  const params = { params: { path: { user_id: user, item_id: itemId } } };
  return unwrap(
    played
      ? await client.POST('/users/{user_id}/played/{item_id}', params)
      : await client.DELETE('/users/{user_id}/played/{item_id}', params),
  );
};

export function useSetPlayed(user: string, itemId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (played: boolean) => setPlayed(user, itemId, played),
    onSuccess: () =>
      Promise.all(
        ['history', 'resume', 'next-up'].map((k) => queryClient.invalidateQueries({ queryKey: [k] })),
      ),
  });
}
