import { useSearchParams } from 'react-router';
import { ItemFilters, toItemQuery } from '@/features/items/components/item-filters';
import { ItemGrid } from '@/features/items/components/item-grid';
import { EmptyState } from '@/components/ui/status';
import { useLibraries } from '@/features/libraries/api/get-libraries';
import { useTitle } from './use-title';

export function SearchRoute() {
  const [params, setParams] = useSearchParams();
  useTitle('Search');
  const values = Object.fromEntries(params.entries());
  const libraries = useLibraries();
  return (
    <div className="page">
      <h1>Search</h1>
      <ItemFilters
        values={values}
        libraries={libraries.data ?? []}
        onChange={(name, value) =>
          setParams((p) => {
            if (value) p.set(name, value);
            else p.delete(name);
            return p;
          }, { replace: true })
        }
      />
      <ItemGrid query={toItemQuery(values)} empty={<EmptyState title="Nothing matches." />} />
    </div>
  );
}
