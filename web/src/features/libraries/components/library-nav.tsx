/** The libraries, as links, for the navigation. */
import { NavLink } from 'react-router';
import { useLibraries } from '../api/get-libraries';

export function LibraryNav() {
  const libraries = useLibraries();
  if (libraries.isPending) return <span className="nav-note">Loading…</span>;
  if (libraries.error) return <span className="nav-note">Libraries unavailable</span>;
  return (
    <>
      {libraries.data.map((l) => (
        <NavLink key={l.id} to={`/libraries/${l.id}`}>
          {l.name}
        </NavLink>
      ))}
    </>
  );
}
