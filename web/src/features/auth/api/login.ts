import { useMutation, useQueryClient } from '@tanstack/react-query';
import { apiJson } from '@/lib/api-client';
import { authStore, loginGate, type TokenAnswer } from '@/lib/auth';

export type Credentials = { username: string; password: string };

/** POST /auth/login; the tokens go to the auth store, which the API client reads. */
export const login = async (credentials: Credentials) => {
  const answer = await apiJson<TokenAnswer>('/auth/login', {
    method: 'POST',
    body: JSON.stringify(credentials),
  });
  authStore.signIn(credentials.username, answer);
  loginGate.set(false);
  return answer;
};

/** Signing in refetches everything that was refused before. */
export function useLogin() {
  const queryClient = useQueryClient();
  return useMutation({ mutationFn: login, onSuccess: () => queryClient.invalidateQueries() });
}
