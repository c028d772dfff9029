import { CachePanel, HealthPanel, JobsPanel, PluginsPanel, ProvidersPanel, SessionsPanel } from '@/features/admin/components/admin-panels';
import { useTitle } from './use-title';

export function AdminRoute() {
  useTitle('Admin');
  const panels: [string, () => React.ReactNode][] = [
    ['Health', HealthPanel],
    ['Transcode jobs', JobsPanel],
    ['Playing now', SessionsPanel],
    ['Transcoding providers', ProvidersPanel],
    ['Transcode cache', CachePanel],
    ['Plugins', PluginsPanel],
  ];
  return (
    <div className="page">
      <h1>Admin</h1>
      <div className="panels">
        {panels.map(([name, Panel]) => (
          <section key={name} className="panel" aria-label={name}>
            <h2>{name}</h2>
            <Panel />
          </section>
        ))}
      </div>
    </div>
  );
}
