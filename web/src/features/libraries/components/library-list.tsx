/** Every library with its kind and prefix. */
import { Link } from 'react-router';
import { EmptyState, QueryState } from '@/components/ui/status';
import { useLibraries } from '../api/get-libraries';

export function LibraryList() {
  const libraries = useLibraries();
  return (
    <QueryState
      query={libraries}
      label="Loading libraries…"
      isEmpty={(d) => d.length === 0}
      empty={<EmptyState title="No libraries yet. Add one below." />}
    >
      {(list) => (
        <ul className="library-list">
          {list.map((l) => (
            <li key={l.id}>
              <Link to={`/libraries/${l.id}`}>{l.name}</Link>
              <span className="muted">
                {l.kind} · <code>{l.prefix}</code>
              </span>
            </li>
          ))}
        </ul>
      )}
    </QueryState>
  );
}
