import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { authStore, loginGate } from '@/lib/auth';
import { mockApi, pending } from '@/testing/mock-api';
import { renderAt } from '@/testing/test-utils';
import { Shell } from '../shell';

const library = (id: string, name: string, kind = 'movies') => ({
  id, name, kind, prefix: `${id}/`, created_at: '2026-01-01T00:00:00Z', counts: null,
});
const routes = [{ path: '/', element: <Shell />, children: [{ index: true, element: <p>Home page</p> }, { path: 'libraries/:id', element: <p>A library</p> }] }];

function signIn() {
  authStore.signIn('ann', { access_token: 'acc', refresh_token: 'ref', expires_in: 900 });
}

describe('Shell', () => {
  it('signed out: the brand and the sign-in form only, no navigation and no user', () => {
    mockApi({});
    renderAt('/', routes as never);
    expect(screen.getByRole('link', { name: 'Viewra' })).toBeInTheDocument();
    expect(screen.queryByRole('navigation')).toBeNull();
    expect(screen.queryByText('default')).toBeNull();
    expect(screen.queryByRole('button', { name: 'Sign out' })).toBeNull();
    expect(screen.getByRole('button', { name: 'Sign in' })).toBeInTheDocument();
    expect(screen.queryByText('Home page')).toBeNull();
  });

  it('asked for credentials again (a 401): back to the sign-in form', () => {
    signIn();
    loginGate.set(true);
    mockApi({ 'GET /events': pending() });
    renderAt('/', routes as never);
    expect(screen.queryByRole('navigation')).toBeNull();
    expect(screen.getByRole('button', { name: 'Sign in' })).toBeInTheDocument();
  });

  it('signed in: the navigation, the user and the page', () => {
    signIn();
    mockApi({ 'GET /libraries': pending(), 'GET /events': pending() });
    renderAt('/', routes as never);
    const nav = screen.getByRole('navigation', { name: 'Main' });
    expect(within(nav).getByRole('link', { name: 'Home' })).toBeInTheDocument();
    expect(within(nav).getByRole('button', { name: /Libraries/ })).toBeInTheDocument();
    expect(screen.getByText('ann')).toBeInTheDocument();
    expect(screen.getByText('Home page')).toBeInTheDocument();
  });

  it('lists many libraries in a menu, not in the header, reachable and closable by keyboard', async () => {
    signIn();
    const many = Array.from({ length: 25 }, (_, i) => library(`lib${i}`, `Library number ${i}`));
    mockApi({ 'GET /libraries': { body: { libraries: many } }, 'GET /events': pending() });
    renderAt('/', routes as never);
    const button = screen.getByRole('button', { name: /Libraries/ });
    expect(button).toHaveAttribute('aria-expanded', 'false');
    expect(screen.queryByRole('link', { name: /Library number 3/ })).toBeNull(); // hidden: not in the header
    await userEvent.tab(); // skip link
    await userEvent.tab(); // brand
    await userEvent.tab(); // Home
    await userEvent.tab();
    expect(button).toHaveFocus();
    await userEvent.keyboard('{Enter}');
    expect(button).toHaveAttribute('aria-expanded', 'true');
    const list = await screen.findByRole('list', { name: 'Libraries' });
    expect(within(list).getAllByRole('link')).toHaveLength(25);
    expect(screen.getByRole('link', { name: 'All libraries…' })).toHaveAttribute('href', '/libraries');
    await userEvent.tab();
    expect(within(list).getAllByRole('link')[0]).toHaveFocus();
    await userEvent.keyboard('{Escape}');
    expect(button).toHaveAttribute('aria-expanded', 'false');
    expect(button).toHaveFocus();
    // following a library closes the menu
    await userEvent.keyboard('{Enter}');
    await userEvent.click(within(await screen.findByRole('list', { name: 'Libraries' })).getByRole('link', { name: /Library number 7/ }));
    expect(await screen.findByText('A library')).toBeInTheDocument();
    await waitFor(() => expect(button).toHaveAttribute('aria-expanded', 'false'));
  });
});
