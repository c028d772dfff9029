import { describe, expect, it } from 'vitest';
import { mockApi } from '@/testing/mock-api';
import { apiJson, client, unwrap, ApiError } from '../api-client';
import { authStore, loginGate } from '../auth';

describe('API client', () => {
  it('names the user with X-Viewra-User when there is no token', async () => {
    const api = mockApi({ 'GET /libraries': { body: { libraries: [] } } });
    await client.GET('/libraries');
    expect(api.calls[0].headers.get('X-Viewra-User')).toBe('default');
    expect(api.calls[0].headers.get('Authorization')).toBeNull();
  });

  it('sends the access token as a Bearer header once signed in', async () => {
    const api = mockApi({ 'GET /libraries': { body: { libraries: [] } } });
    authStore.signIn('ann', { access_token: 'tok-1', refresh_token: 'ref-1', expires_in: 60 });
    await client.GET('/libraries');
    expect(api.calls[0].headers.get('Authorization')).toBe('Bearer tok-1');
  });

  it('refreshes an expired token once and repeats the request', async () => {
    authStore.signIn('ann', { access_token: 'old', refresh_token: 'ref-1', expires_in: 60 });
    const api = mockApi({
      'GET /libraries': (req) =>
        req.headers.get('Authorization') === 'Bearer new' ? { body: { libraries: [] } } : { status: 401, body: { error: { code: 'Unauthorized', message: 'expired' } } },
      'POST /auth/refresh': (req) => ({ body: { access_token: 'new', expires_in: 60, echo: req.body } }),
    });
    const r = unwrap(await client.GET('/libraries'));
    expect(r.libraries).toEqual([]);
    expect(api.calls.find((c) => c.path === '/auth/refresh')?.body).toEqual({ refresh_token: 'ref-1' });
    expect(authStore.get().tokens?.refreshToken).toBe('ref-1');
    expect(loginGate.get()).toBe(false);
  });

  it('asks for the login page on a 401 that no refresh can fix', async () => {
    mockApi({ 'GET /libraries': { status: 401, body: { error: { code: 'Unauthorized', message: 'sign in' } } } });
    const result = await client.GET('/libraries');
    expect(() => unwrap(result)).toThrow(ApiError);
    expect(loginGate.get()).toBe(true);
  });

  it("turns the API's error body into an ApiError with code, message and status", async () => {
    mockApi({ 'GET /plugins': { status: 422, body: { error: { code: 'Unprocessable', message: 'limit: too big' } } } });
    await expect(apiJson('/plugins')).rejects.toMatchObject({ status: 422, code: 'Unprocessable', message: 'limit: too big' });
  });
});
