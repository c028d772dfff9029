import { useNavigate } from 'react-router';
import { CreateLibraryForm } from '@/features/libraries/components/create-library-form';
import { LibraryList } from '@/features/libraries/components/library-list';
import { useTitle } from './use-title';

export function LibrariesRoute() {
  const navigate = useNavigate();
  useTitle('Libraries');
  return (
    <div className="page">
      <h1>Libraries</h1>
      <LibraryList />
      <h2>Add a library</h2>
      <CreateLibraryForm onCreated={(id) => navigate(`/libraries/${id}`)} />
    </div>
  );
}
