/** The admin page's panels: health, transcoding providers, plugins, jobs (progress, cancel),
 * the transcode cache and active sessions. */
import { EmptyState, ErrorMessage, QueryState } from '@/components/ui/status';
import { formatBytes, formatDuration } from '@/lib/format';
import { useRecentEvents } from '@/lib/events';
import { useCancelJob } from '../api/cancel-job';
import { useActiveSessions } from '../api/get-active-sessions';
import { useHealth } from '../api/get-health';
import { useJob } from '../api/get-job';
import { usePlugins } from '../api/get-plugins';
import { useProviders } from '../api/get-providers';
import { useTranscodeCache } from '../api/get-transcode-cache';

export function HealthPanel() {
  const health = useHealth();
  return (
    <QueryState query={health} label="Checking health…">
      {(h) => (
        <>
          <p>
            Status: <strong className={h.status === 'ok' ? 'ok' : 'bad'}>{h.status}</strong>
          </p>
          <ul className="checks">
            {Object.entries(h.checks).map(([name, result]) => (
              <li key={name}>
                <code>{name}</code> <span className={result === 'ok' ? 'ok' : 'bad'}>{result}</span>
              </li>
            ))}
          </ul>
        </>
      )}
    </QueryState>
  );
}

export function ProvidersPanel() {
  const providers = useProviders();
  return (
    <QueryState query={providers} label="Loading providers…" isEmpty={(d) => d.length === 0} empty={<EmptyState title="No providers." />}>
      {(rows) => (
        <table>
          <thead>
            <tr>
              <th scope="col">Provider</th>
              <th scope="col">Available</th>
              <th scope="col">Why not</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((p) => (
              <tr key={p.name}>
                <td>{p.name}</td>
                <td className={p.available ? 'ok' : 'bad'}>{p.available ? 'yes' : 'no'}</td>
                <td className="break">{p.reason ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </QueryState>
  );
}

export function PluginsPanel() {
  const plugins = usePlugins();
  return (
    <QueryState query={plugins} label="Loading plugins…" isEmpty={(d) => d.length === 0} empty={<EmptyState title="No plugins installed." />}>
      {(rows) => (
        <table>
          <thead>
            <tr>
              <th scope="col">Plugin</th>
              <th scope="col">State</th>
              <th scope="col">Priority</th>
              <th scope="col">Errors</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((p) => (
              <tr key={p.name}>
                <td>
                  {p.name} {p.version && <span className="muted">{p.version}</span>}
                </td>
                <td>{p.state}{p.enabled === false ? ' (disabled)' : ''}</td>
                <td>{p.priority ?? ''}</td>
                <td className="break">{p.errors?.join('; ')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </QueryState>
  );
}

function JobRow({ h }: { h: string }) {
  const job = useJob(h);
  const cancel = useCancelJob();
  if (job.isPending) return <li>{h.slice(0, 12)}… loading</li>;
  if (job.error) return <li>{h.slice(0, 12)}… <ErrorMessage error={job.error} /></li>;
  const j = job.data;
  const active = j.status === 'queued' || j.status === 'running';
  return (
    <li className="job">
      <code title={j.h}>{j.h.slice(0, 12)}</code>
      <span>{j.status}</span>
      {active && <progress max={100} value={j.progress ?? undefined} aria-label={`Job ${j.h.slice(0, 12)} progress`} />}
      <span>
        {j.progress != null ? `${j.progress.toFixed(0)} %` : ''}
        {j.speed ? ` · ${j.speed.toFixed(1)}×` : ''}
        {j.eta_seconds ? ` · ${formatDuration(j.eta_seconds)} left` : ''}
        {j.error ? ` · ${j.error}` : ''}
      </span>
      {active && (
        <button type="button" className="btn" onClick={() => cancel.mutate(j.h)} disabled={cancel.isPending || j.cancel_requested}>
          Cancel
        </button>
      )}
    </li>
  );
}

/** Jobs this page has heard of: from active sessions and from the event stream. */
export function JobsPanel() {
  const sessions = useActiveSessions();
  const events = useRecentEvents();
  const hashes = new Set<string>();
  for (const s of sessions.data ?? []) if (s.transcode_id) hashes.add(s.transcode_id);
  for (const e of events) if (e.type.startsWith('Transcode') && typeof e.data.h === 'string') hashes.add(e.data.h);
  if (sessions.error) return <ErrorMessage error={sessions.error} />;
  if (!hashes.size) return <EmptyState title="No transcode jobs right now." />;
  return (
    <ul className="jobs">
      {[...hashes].map((h) => (
        <JobRow key={h} h={h} />
      ))}
    </ul>
  );
}

export function SessionsPanel() {
  const sessions = useActiveSessions();
  return (
    <QueryState query={sessions} label="Loading sessions…" isEmpty={(d) => d.length === 0} empty={<EmptyState title="Nobody is playing anything." />}>
      {(rows) => (
        <table>
          <thead>
            <tr>
              <th scope="col">User</th>
              <th scope="col">Item</th>
              <th scope="col">State</th>
              <th scope="col">Method</th>
              <th scope="col">Position</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((s) => (
              <tr key={s.id}>
                <td>{s.user_id}</td>
                <td><code>{s.item_id.slice(0, 10)}</code></td>
                <td>{s.state}</td>
                <td>{s.method}</td>
                <td>{formatDuration(s.position)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </QueryState>
  );
}

export function CachePanel() {
  const cache = useTranscodeCache();
  return (
    <QueryState query={cache} label="Loading the cache…">
      {(c) => (
        <p>
          {c.entries.length} transcoded version(s), {formatBytes(c.total_bytes)} of {formatBytes(c.budget_bytes)}
        </p>
      )}
    </QueryState>
  );
}
