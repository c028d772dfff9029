/** The libraries in the navigation: one "Libraries" button that opens a list of them (a
 * disclosure, so twenty libraries do not push the header sideways), and the page of all. */
import { useEffect, useId, useRef, useState } from 'react';
import { NavLink, useLocation } from 'react-router';
import { useLibraries } from '../api/get-libraries';

export function LibraryMenu() {
  const [open, setOpen] = useState(false);
  const id = useId();
  const root = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);
  const location = useLocation();
  const libraries = useLibraries();
  const inLibraries = location.pathname.startsWith('/libraries');

  // a followed link closes it; so do Escape (focus back on the button) and a click elsewhere
  useEffect(() => setOpen(false), [location.pathname, location.search]);
  useEffect(() => {
    if (!open) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') {
        setOpen(false);
        button.current?.focus();
      }
    };
    const onPointer = (e: PointerEvent) => {
      if (!root.current?.contains(e.target as Node)) setOpen(false);
    };
    const onFocus = (e: FocusEvent) => {
      if (!root.current?.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener('keydown', onKey);
    document.addEventListener('pointerdown', onPointer);
    document.addEventListener('focusin', onFocus);
    return () => {
      document.removeEventListener('keydown', onKey);
      document.removeEventListener('pointerdown', onPointer);
      document.removeEventListener('focusin', onFocus);
    };
  }, [open]);

  return (
    <div className="nav-menu" ref={root}>
      <button
        ref={button}
        type="button"
        className={`nav-menu-button${inLibraries ? ' active' : ''}`}
        aria-expanded={open}
        aria-controls={id}
        onClick={() => setOpen((o) => !o)}
      >
        Libraries <span aria-hidden="true">▾</span>
      </button>
      <div id={id} className="nav-menu-panel" hidden={!open}>
        {libraries.isPending ? (
          <p className="nav-note">Loading…</p>
        ) : libraries.error ? (
          <p className="nav-note">Libraries unavailable</p>
        ) : libraries.data.length === 0 ? (
          <p className="nav-note">No libraries yet.</p>
        ) : (
          <ul aria-label="Libraries">
            {libraries.data.map((l) => (
              <li key={l.id}>
                <NavLink to={`/libraries/${l.id}`}>
                  {l.name} <span className="muted">{l.kind}</span>
                </NavLink>
              </li>
            ))}
          </ul>
        )}
        <NavLink to="/libraries" end className="nav-menu-all">
          All libraries…
        </NavLink>
      </div>
    </div>
  );
}
