import { QueryClient } from '@tanstack/react-query';
import { describe, expect, it, vi } from 'vitest';
import { mockApi } from '@/testing/mock-api';
import { eventLog, follow, keysFor } from '../events';

const event = (type: string, data: Record<string, unknown> = {}) => ({ id: type, type, at: '', data });

describe('event feed', () => {
  it('maps each kind of event to the queries it makes stale', () => {
    expect(keysFor(event('ItemAdded'))).toContain('items');
    expect(keysFor(event('ScanCompleted'))).toEqual(['scan', 'items']);
    expect(keysFor(event('TranscodeProgress'))).toContain('transcode');
    expect(keysFor(event('SessionStopped'))).toContain('resume');
    expect(keysFor(event('SomethingNew'))).toEqual([]);
  });

  it('skips the old events, then long-polls from the cursor and refreshes what changed', async () => {
    const controller = new AbortController();
    const queryClient = new QueryClient();
    const invalidate = vi.spyOn(queryClient, 'invalidateQueries');
    let polls = 0;
    const api = mockApi({
      'GET /events': (req) => {
        if (!req.query.get('after')) return { body: { events: [event('ItemAdded')], cursor: 'c1' } }; // old news
        polls += 1;
        if (polls === 1) return { body: { events: [event('ItemAdded', { item_id: 'new' })], cursor: 'c2' } };
        controller.abort();
        return { body: { events: [], cursor: 'c2' } };
      },
    });
    await follow(queryClient, controller.signal, 7);
    const asked = api.calls.map((c) => [c.query.get('after'), c.query.get('wait')]);
    expect(asked).toEqual([[null, null], ['c1', '7'], ['c2', '7']]);
    expect(invalidate.mock.calls.map(([f]) => f?.queryKey?.[0])).toEqual(['items', 'item', 'libraries']);
    expect(eventLog.get()[0].data).toEqual({ item_id: 'new' });
  });
});
