/** The library's scan as it runs: listed, done, skipped, failed (followed every second). */
import { useLibraryScan } from '../api/get-scan';
import { useScanLibrary } from '../api/scan-library';
import { ErrorMessage } from '@/components/ui/status';
import { useRecentEvents } from '@/lib/events';

export function ScanProgress({ library }: { library: string }) {
  const scan = useLibraryScan(library);
  const rescan = useScanLibrary(library);
  // a scan this browser did not start is still heard of when it completes (ScanCompleted)
  const heard = useRecentEvents().find((e) => e.type === 'ScanCompleted' && e.data.library_id === library);
  const s = scan.data ?? (heard ? ({ status: 'completed', ...heard.data } as unknown as typeof scan.data) : undefined);
  const finished = s ? s.done + s.skipped + s.failed : 0;
  const running = s && s.status !== 'completed';
  return (
    <div className="scan">
      <button type="button" className="btn" onClick={() => rescan.mutate()} disabled={rescan.isPending || !!running}>
        {running ? 'Scanning…' : 'Rescan'}
      </button>
      {s && (
        <div className="scan-status" role="status" aria-live="polite">
          {running && <progress max={Math.max(s.total, 1)} value={finished} aria-label="Scan progress" />}
          <span>
            Scan {s.status}: {finished} of {s.total} files ({s.done} read, {s.skipped} unchanged, {s.failed} failed)
          </span>
        </div>
      )}
      {rescan.error && <ErrorMessage error={rescan.error} />}
    </div>
  );
}
