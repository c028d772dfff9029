import { useQuery } from '@tanstack/react-query';
import { apiFetch, type Schemas } from '@/lib/api-client';

/** GET /health answers 503 with the same body when degraded: both are data here. */
export const getHealth = async (): Promise<Schemas['Health']> => {
  const r = await apiFetch('/health');
  return (await r.json()) as Schemas['Health'];
};

export const useHealth = () => useQuery({ queryKey: ['health'], queryFn: getHealth });

/** The media bucket, from the health checks' names (`bucket:NAME`, the media bucket first). */
export const mediaBucket = (health: Schemas['Health'] | undefined): string =>
  Object.keys(health?.checks ?? {})
    .find((k) => k.startsWith('bucket:'))
    ?.slice('bucket:'.length) ?? 'viewra-media';
