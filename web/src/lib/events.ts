/** Following `GET /events` (a cursor and a long poll) and telling the query cache what changed,
 * so new items, scan results and transcode progress show up without a reload. */
import { type QueryClient, useQueryClient } from '@tanstack/react-query';
import { useEffect, useSyncExternalStore } from 'react';
import { apiJson } from './api-client';

export type FeedEvent = { id: string; type: string; at: string; data: Record<string, unknown> };
type FeedAnswer = { events: FeedEvent[]; cursor: string | null };

const RECENT = 50;
let recent: FeedEvent[] = [];
const listeners = new Set<() => void>();

export const eventLog = {
  get: (): FeedEvent[] => recent,
  push(events: FeedEvent[]): void {
    if (!events.length) return;
    recent = [...events.reverse(), ...recent].slice(0, RECENT);
    listeners.forEach((l) => l());
  },
  subscribe(l: () => void): () => void {
    listeners.add(l);
    return () => listeners.delete(l);
  },
};

export function useRecentEvents(): FeedEvent[] {
  return useSyncExternalStore(eventLog.subscribe, eventLog.get, eventLog.get);
}

/** Which cached queries an event makes stale (query keys are arrays starting with a name). */
export function keysFor(event: FeedEvent): string[] {
  const t = event.type;
  if (t.startsWith('Item')) return ['items', 'item', 'libraries'];
  if (t === 'ScanCompleted') return ['scan', 'items'];
  if (t.startsWith('Transcode')) return ['transcode', 'transcode-cache'];
  if (t.startsWith('Session')) return ['sessions', 'resume', 'next-up', 'history'];
  return [];
}

export function applyEvents(queryClient: QueryClient, events: FeedEvent[]): void {
  const names = new Set(events.flatMap(keysFor));
  for (const name of names) void queryClient.invalidateQueries({ queryKey: [name] });
  eventLog.push([...events]);
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    });
  });

/** Catch up to the end of the stream (old events are not news), then long-poll for new ones. */
export async function follow(
  queryClient: QueryClient,
  signal: AbortSignal,
  wait = 20,
): Promise<void> {
  let cursor: string | null = null;
  let caughtUp = false;
  while (!signal.aborted) {
    try {
      const params = new URLSearchParams({ limit: caughtUp ? '100' : '500' });
      if (cursor) params.set('after', cursor);
      if (caughtUp) params.set('wait', String(wait));
      const answer = await apiJson<FeedAnswer>(`/events?${params}`, { signal });
      cursor = answer.cursor ?? cursor;
      if (caughtUp) applyEvents(queryClient, answer.events);
      else if (answer.events.length < 500) caughtUp = true;
    } catch {
      if (signal.aborted) return;
      await sleep(3000, signal); // the API is down or restarting: try again shortly
    }
  }
}

export function useEventFeed(enabled = true): void {
  const queryClient = useQueryClient();
  useEffect(() => {
    if (!enabled) return;
    const controller = new AbortController();
    void follow(queryClient, controller.signal);
    return () => controller.abort();
  }, [enabled, queryClient]);
}
