/** The frame of every page: a skip link, the navigation, the user menu, the page; the login page
 * instead of the page when the API asked for credentials; the event feed while open. */
import { Link, NavLink, Outlet, useNavigate } from 'react-router';
import { LoginForm } from '@/features/auth/components/login-form';
import { LibraryNav } from '@/features/libraries/components/library-nav';
import { authStore, useAuth, useLoginRequired } from '@/lib/auth';
import { useEventFeed } from '@/lib/events';

export function Shell() {
  const loginRequired = useLoginRequired();
  useEventFeed(!loginRequired);
  return (
    <>
      <a className="skip-link" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById('main')?.focus(); }}>
        Skip to content
      </a>
      <header className="topbar">
        <Link to="/" className="brand">
          Viewra
        </Link>
        <nav aria-label="Main" className="nav">
          <NavLink to="/" end>
            Home
          </NavLink>
          <LibraryNav />
          <NavLink to="/libraries" end>
            Libraries
          </NavLink>
          <NavLink to="/search">Search</NavLink>
          <NavLink to="/admin">Admin</NavLink>
        </nav>
        <UserMenu />
      </header>
      <main id="main" tabIndex={-1}>
        {loginRequired ? <LoginForm /> : <Outlet />}
      </main>
    </>
  );
}

function UserMenu() {
  const { user, tokens } = useAuth();
  const navigate = useNavigate();
  return (
    <div className="user-menu">
      <span>
        <span className="visually-hidden">Signed in as </span>
        {user}
      </span>
      {tokens ? (
        <button type="button" className="btn btn-link" onClick={() => { authStore.signOut(); navigate('/login'); }}>
          Sign out
        </button>
      ) : null}
    </div>
  );
}
