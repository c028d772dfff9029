import { client, unwrap } from '@/lib/api-client';

/** Stop a session; `keepalive` lets the request finish while the page closes. */
export const stopPlayback = async (sessionId: string, position: number) =>
  unwrap(
    await client.POST('/sessions/{session_id}/stop', {
      params: { path: { session_id: sessionId } },
      body: { position },
      keepalive: true,
    } as never),
  );
