/** The routes. A hash router: the app's paths (#/items/…) never meet the API's (/items/…),
 * which share the origin when the API serves the app. */
import { useState } from 'react';
import { createHashRouter, RouterProvider, type RouteObject } from 'react-router';
import { AdminRoute } from './routes/admin';
import { HomeRoute } from './routes/home';
import { ItemRoute } from './routes/item';
import { LibrariesRoute } from './routes/libraries';
import { LibraryRoute } from './routes/library';
import { LoginRoute } from './routes/login';
import { NotFoundRoute } from './routes/not-found';
import { PlayerRoute } from './routes/player';
import { SearchRoute } from './routes/search';
import { Shell } from './routes/shell';

export const routes: RouteObject[] = [
  {
    path: '/',
    element: <Shell />,
    children: [
      { index: true, element: <HomeRoute /> },
      { path: 'libraries', element: <LibrariesRoute /> },
      { path: 'libraries/:libraryId', element: <LibraryRoute /> },
      { path: 'items/:itemId', element: <ItemRoute /> },
      { path: 'search', element: <SearchRoute /> },
      { path: 'admin', element: <AdminRoute /> },
      { path: 'login', element: <LoginRoute /> },
      { path: '*', element: <NotFoundRoute /> },
    ],
  },
  { path: '/play/:itemId', element: <PlayerRoute /> },
];

export function AppRouter() {
  const [router] = useState(() => createHashRouter(routes));
  return <RouterProvider router={router} />;
}
