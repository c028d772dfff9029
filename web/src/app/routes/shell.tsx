/** The frame of every page: a skip link, the navigation, the user menu, the page; signed out
 * (no tokens, or the API asked for credentials again), only the brand and the login page. The
 * event feed runs while signed in. */
import { Link, NavLink, Outlet, useNavigate } from 'react-router';
import { LoginForm } from '@/features/auth/components/login-form';
import { LibraryMenu } from '@/features/libraries/components/library-menu';
import { authStore, useAuth, useLoginRequired } from '@/lib/auth';
import { useEventFeed } from '@/lib/events';

export function Shell() {
  const loginRequired = useLoginRequired();
  const { tokens } = useAuth();
  const signedOut = loginRequired || !tokens;
  useEventFeed(!signedOut);
  return (
    <>
      <a className="skip-link" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById('main')?.focus(); }}>
        Skip to content
      </a>
      <header className="topbar">
        <Link to="/" className="brand">
          Viewra
        </Link>
        {signedOut ? null : (
          <>
            <nav aria-label="Main" className="nav">
              <NavLink to="/" end>
                Home
              </NavLink>
              <LibraryMenu />
              <NavLink to="/search">Search</NavLink>
              <NavLink to="/admin">Admin</NavLink>
            </nav>
            <UserMenu />
          </>
        )}
      </header>
      <main id="main" tabIndex={-1}>
        {signedOut ? <LoginForm /> : <Outlet />}
      </main>
    </>
  );
}

function UserMenu() {
  const { user } = useAuth();
  const navigate = useNavigate();
  return (
    <div className="user-menu">
      <span>
        <span className="visually-hidden">Signed in as </span>
        {user}
      </span>
      <button type="button" className="btn btn-link" onClick={() => { authStore.signOut(); navigate('/login'); }}>
        Sign out
      </button>
    </div>
  );
}
