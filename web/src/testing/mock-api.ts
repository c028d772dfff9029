/** A stand-in for the API in component tests: routes ("GET /items") to answers, served
 * through a stubbed `fetch`; every request is recorded for the test to inspect. */
import { vi } from 'vitest';

type Reply = { status?: number; body?: unknown; delay?: number };
export type Answer = Reply | ((req: Recorded) => Reply);
export type Recorded = { method: string; path: string; query: URLSearchParams; headers: Headers; body: unknown };

export function mockApi(routes: Record<string, Answer>) {
  const calls: Recorded[] = [];
  const fetchMock = vi.fn(async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    const method = (init.method ?? 'GET').toUpperCase();
    const text = typeof init.body === 'string' ? init.body : undefined;
    const rec: Recorded = {
      method,
      path: url.pathname,
      query: url.searchParams,
      headers: new Headers(init.headers),
      body: text ? JSON.parse(text) : undefined,
    };
    calls.push(rec);
    const key = Object.keys(routes).find((k) => {
      const [m, pattern] = k.split(' ');
      const re = new RegExp(`^${pattern.replace(/\{[^}]+\}/g, '[^/]+')}$`);
      return m === method && re.test(url.pathname);
    });
    if (!key) {
      return new Response(JSON.stringify({ error: { code: 'NotFound', message: `no mock for ${method} ${url.pathname}` } }), {
        status: 404,
        headers: { 'Content-Type': 'application/json' },
      });
    }
    const route = routes[key];
    const answer: Reply = typeof route === 'function' ? route(rec) : route;
    if (answer.delay) await new Promise((r) => setTimeout(r, answer.delay));
    return new Response(answer.body === undefined ? null : JSON.stringify(answer.body), {
      status: answer.status ?? 200,
      headers: { 'Content-Type': 'application/json' },
    });
  });
  vi.stubGlobal('fetch', fetchMock);
  return { calls, fetchMock };
}

/** An answer that never comes (the loading state). */
export const pending = (): Answer => ({ delay: 1e9 });
