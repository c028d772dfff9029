/** Add a library: a name, its prefix in the media bucket and its kind; the API starts a scan. */
import { useState } from 'react';
import { Field } from '@/components/ui/field';
import { ErrorMessage } from '@/components/ui/status';
import { useCreateLibrary } from '../api/create-library';

const KINDS = ['movies', 'shows', 'music', 'mixed'] as const;

export function CreateLibraryForm({ onCreated }: { onCreated?: (id: string) => void }) {
  const create = useCreateLibrary();
  const [name, setName] = useState('');
  const [prefix, setPrefix] = useState('');
  const [kind, setKind] = useState<(typeof KINDS)[number]>('movies');
  return (
    <form
      className="create-library"
      aria-label="Add a library"
      onSubmit={(e) => {
        e.preventDefault();
        const p = prefix.trim();
        create.mutate(
          { name: name.trim(), prefix: p && !p.endsWith('/') ? `${p}/` : p, kind },
          { onSuccess: (r) => onCreated?.(r.library.id) },
        );
      }}
    >
      <Field label="Name">{(id) => <input id={id} required value={name} onChange={(e) => setName(e.target.value)} />}</Field>
      <Field label="Prefix in the bucket">
        {(id) => <input id={id} required placeholder="movies/" value={prefix} onChange={(e) => setPrefix(e.target.value)} />}
      </Field>
      <Field label="Kind">
        {(id) => (
          <select id={id} value={kind} onChange={(e) => setKind(e.target.value as (typeof KINDS)[number])}>
            {KINDS.map((k) => (
              <option key={k}>{k}</option>
            ))}
          </select>
        )}
      </Field>
      <button type="submit" className="btn btn-primary" disabled={create.isPending}>
        {create.isPending ? 'Adding…' : 'Add library'}
      </button>
      {create.error && <ErrorMessage error={create.error} />}
    </form>
  );
}
