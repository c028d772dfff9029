import { RecentlyAdded } from '@/features/items/components/recently-added';
import { ContinueWatching, NextUp } from '@/features/sessions/components/user-item-row';
import { useAuth } from '@/lib/auth';
import { useTitle } from './use-title';

export function HomeRoute() {
  const { user } = useAuth();
  useTitle('Home');
  return (
    <div className="page">
      <h1 className="visually-hidden">Home</h1>
      <section aria-labelledby="cw-h">
        <h2 id="cw-h">Continue watching</h2>
        <ContinueWatching user={user} label="Continue watching" emptyText="Nothing in progress." />
      </section>
      <section aria-labelledby="nu-h">
        <h2 id="nu-h">Next up</h2>
        <NextUp user={user} label="Next up" emptyText="No series in progress." />
      </section>
      <section aria-labelledby="ra-h">
        <h2 id="ra-h">Recently added</h2>
        <RecentlyAdded />
      </section>
    </div>
  );
}
