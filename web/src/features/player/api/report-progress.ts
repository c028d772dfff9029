import { client, unwrap, type Schemas } from '@/lib/api-client';

export type Progress = Schemas['ProgressReport'];

export const reportProgress = async (sessionId: string, body: Progress) =>
  unwrap(
    await client.POST('/sessions/{session_id}/progress', {
      params: { path: { session_id: sessionId } },
      body,
    }),
  );
