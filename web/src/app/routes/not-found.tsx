import { Link } from 'react-router';
import { EmptyState } from '@/components/ui/status';

export function NotFoundRoute() {
  return (
    <EmptyState title="There is no such page.">
      <Link to="/">Go home</Link>
    </EmptyState>
  );
}
