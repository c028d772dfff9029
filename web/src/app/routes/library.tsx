/** A library's page by its kind: movies (and mixed) as a poster grid with filters, shows as
 * series → seasons → episodes, music as artists → albums → tracks; its scan and failed items. */
import { useParams, useSearchParams } from 'react-router';
import { ErrorMessage, Spinner } from '@/components/ui/status';
import { mediaBucket, useHealth } from '@/features/admin/api/get-health';
import { toItemQuery, ItemFilters } from '@/features/items/components/item-filters';
import { FailedItems } from '@/features/items/components/failed-items';
import { ItemGrid } from '@/features/items/components/item-grid';
import { GroupBrowser, MUSIC, SHOWS } from '@/features/items/components/group-browser';
import { useLibrary } from '@/features/libraries/api/get-library';
import { EmptyLibrary } from '@/features/libraries/components/empty-library';
import { ScanProgress } from '@/features/libraries/components/scan-progress';
import { useTitle } from './use-title';

export function LibraryRoute() {
  const { libraryId = '' } = useParams();
  const library = useLibrary(libraryId);
  const health = useHealth();
  const [params, setParams] = useSearchParams();
  useTitle(library.data?.name);
  if (library.isPending) return <Spinner label="Loading the library…" />;
  if (library.error) return <ErrorMessage error={library.error} retry={() => library.refetch()} />;
  const lib = library.data;
  const values = Object.fromEntries(params.entries());
  const set = (name: string, value: string | null) =>
    setParams(
      (p) => {
        if (value) p.set(name, value);
        else p.delete(name);
        return p;
      },
      { replace: true },
    );
  const empty = <EmptyLibrary bucket={mediaBucket(health.data)} prefix={lib.prefix} />;
  return (
    <div className="page">
      <div className="page-head">
        <h1>{lib.name}</h1>
        <span className="muted">
          {lib.kind} · <code>{lib.prefix}</code>
        </span>
      </div>
      <ScanProgress library={lib.id} />
      {lib.kind === 'shows' ? (
        <GroupBrowser kind={SHOWS} library={lib.id} chosen={params.get('series')} onChoose={(s) => set('series', s)} empty={empty} />
      ) : lib.kind === 'music' ? (
        <GroupBrowser kind={MUSIC} library={lib.id} chosen={params.get('artist')} onChoose={(a) => set('artist', a)} empty={empty} />
      ) : (
        <>
          <ItemFilters values={values} onChange={set} />
          <ItemGrid query={toItemQuery(values, lib.id)} empty={Object.keys(values).length ? undefined : empty} />
        </>
      )}
      <FailedItems library={lib.id} />
    </div>
  );
}
