/** The auth store: tokens (when the API has authentication) and the user's name.
 *
 * Today's API has no authentication and names the user with the `X-Viewra-User` header; with
 * authentication (POST /auth/login, POST /auth/refresh) the access token goes in
 * `Authorization: Bearer`. The API client reads this store in one place (lib/api-client.ts).
 */
import { useSyncExternalStore } from 'react';

export type Tokens = { accessToken: string; refreshToken: string; expiresAt: number };
export type AuthState = { user: string; tokens: Tokens | null };

const KEY = 'viewra.auth';
const DEFAULT_USER = 'default';

function read(): AuthState {
  try {
    const raw = globalThis.localStorage?.getItem(KEY);
    if (raw) {
      const parsed = JSON.parse(raw) as AuthState;
      if (typeof parsed.user === 'string') return parsed;
    }
  } catch {
    // unreadable storage: start signed out
  }
  return { user: DEFAULT_USER, tokens: null };
}

let state: AuthState = read();
const listeners = new Set<() => void>();

function write(next: AuthState): void {
  state = next;
  try {
    globalThis.localStorage?.setItem(KEY, JSON.stringify(next));
  } catch {
    // private mode: keep it in memory
  }
  listeners.forEach((l) => l());
}

export const authStore = {
  get: (): AuthState => state,
  subscribe(listener: () => void): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
  /** Store tokens from POST /auth/login or /auth/refresh (`expires_in` in seconds). */
  signIn(user: string, body: TokenAnswer, now = Date.now()): void {
    write({ user, tokens: toTokens(body, now, state.tokens?.refreshToken) });
  },
  refreshed(body: TokenAnswer, now = Date.now()): void {
    write({ ...state, tokens: toTokens(body, now, state.tokens?.refreshToken) });
  },
  signOut(): void {
    write({ user: DEFAULT_USER, tokens: null });
  },
  reset(): void {
    write({ user: DEFAULT_USER, tokens: null });
  },
};

export type TokenAnswer = { access_token: string; refresh_token?: string; expires_in?: number };

function toTokens(body: TokenAnswer, now: number, previousRefresh?: string): Tokens {
  return {
    accessToken: body.access_token,
    refreshToken: body.refresh_token ?? previousRefresh ?? '',
    expiresAt: now + (body.expires_in ?? 3600) * 1000,
  };
}

export function useAuth(): AuthState {
  return useSyncExternalStore(authStore.subscribe, authStore.get, authStore.get);
}

/** Set when an answer was 401: the router shows the login page until a sign-in. */
let loginRequired = false;
const loginListeners = new Set<() => void>();
export const loginGate = {
  get: (): boolean => loginRequired,
  set(value: boolean): void {
    loginRequired = value;
    loginListeners.forEach((l) => l());
  },
  subscribe(listener: () => void): () => void {
    loginListeners.add(listener);
    return () => loginListeners.delete(listener);
  },
};

export function useLoginRequired(): boolean {
  return useSyncExternalStore(loginGate.subscribe, loginGate.get, loginGate.get);
}
