import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { client } from '@/lib/api-client';
import { authStore, loginGate } from '@/lib/auth';
import { mockApi } from '@/testing/mock-api';
import { renderWithProviders } from '@/testing/test-utils';
import { LoginForm } from '../login-form';

describe('LoginForm', () => {
  it('signs in with POST /auth/login and sends the token from then on', async () => {
    loginGate.set(true);
    const api = mockApi({
      'POST /auth/login': { body: { access_token: 'acc', refresh_token: 'ref', expires_in: 900 } },
      'GET /libraries': { body: { libraries: [] } },
    });
    renderWithProviders(<LoginForm />);
    await userEvent.type(screen.getByLabelText('User name'), 'ann');
    await userEvent.type(screen.getByLabelText('Password'), 's3cret');
    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    await waitFor(() => expect(authStore.get().tokens?.accessToken).toBe('acc'));
    expect(api.calls[0].body).toEqual({ username: 'ann', password: 's3cret' });
    expect(authStore.get().user).toBe('ann');
    expect(loginGate.get()).toBe(false);
    await client.GET('/libraries');
    expect(api.calls.at(-1)!.headers.get('Authorization')).toBe('Bearer acc');
  });

  it("shows the API's refusal", async () => {
    mockApi({ 'POST /auth/login': { status: 401, body: { error: { code: 'Unauthorized', message: 'wrong user name or password' } } } });
    renderWithProviders(<LoginForm />);
    await userEvent.type(screen.getByLabelText('User name'), 'ann');
    await userEvent.type(screen.getByLabelText('Password'), 'nope');
    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('wrong user name or password');
    expect(authStore.get().tokens).toBeNull();
  });
});
