/** Search, every filter `GET /items` has, and sort; the values live in the page's URL. */
import { Field } from '@/components/ui/field';
import type { ItemQuery } from '../api/get-items';

type Values = Record<string, string>;

const TYPES = ['', 'movie', 'episode', 'track', 'video', 'unknown'];
const RESOLUTIONS = ['', 'sd', '720p', '1080p', '4k', '8k'];
const SORTS = [
  ['title', 'Title'],
  ['added', 'Date added'],
  ['year', 'Year'],
];

const STATUSES = [
  ['', 'Ready'],
  ['failed', 'Failed'],
  ['all', 'All'],
];

/** The URL's values as the API's query (a library page fixes its library). */
export function toItemQuery(values: Values, library?: string): ItemQuery {
  const num = (v?: string) => (v ? Number(v) : undefined);
  return {
    library: library ?? (values.library || undefined),
    status: (values.status || undefined) as ItemQuery['status'],
    q: values.q || undefined,
    type: (values.type || undefined) as ItemQuery['type'],
    genre: values.genre || undefined,
    year_min: num(values.year_min),
    year_max: num(values.year_max),
    video_codec: values.video_codec || undefined,
    audio_codec: values.audio_codec || undefined,
    resolution: (values.resolution || undefined) as ItemQuery['resolution'],
    sort: (values.sort || 'title') as ItemQuery['sort'],
    order: (values.order || (values.sort === 'added' ? 'desc' : 'asc')) as ItemQuery['order'],
    limit: 48,
  };
}

export function ItemFilters({
  values,
  onChange,
  libraries,
}: {
  values: Values;
  onChange: (name: string, value: string) => void;
  /** offer a library filter with these (id, name) pairs */
  libraries?: { id: string; name: string }[];
}) {
  const input = (name: string, label: string, props: React.InputHTMLAttributes<HTMLInputElement> = {}) => (
    <Field label={label}>
      {(id) => (
        <input id={id} name={name} value={values[name] ?? ''} onChange={(e) => onChange(name, e.target.value)} {...props} />
      )}
    </Field>
  );
  const select = (name: string, label: string, options: (string | string[])[]) => (
    <Field label={label}>
      {(id) => (
        <select id={id} name={name} value={values[name] ?? ''} onChange={(e) => onChange(name, e.target.value)}>
          {options.map((o) => {
            const [value, text] = Array.isArray(o) ? o : [o, o || 'Any'];
            return (
              <option key={value} value={value}>
                {text}
              </option>
            );
          })}
        </select>
      )}
    </Field>
  );
  const narrow = typeof window !== 'undefined' && !!window.matchMedia?.('(max-width: 640px)').matches;
  const active = Object.entries(values).filter(([k, v]) => v && k !== 'q').length;
  return (
    <form className="filters-form" role="search" aria-label="Filter items" onSubmit={(e) => e.preventDefault()}>
      {input('q', 'Search', { type: 'search', placeholder: 'Title, series, artist, file…' })}
      <details className="filters-more" open={!narrow || active > 0}>
        <summary>Filters and sort{active ? ` (${active})` : ''}</summary>
        <div className="filters">
      {libraries && select('library', 'Library', [['', 'All libraries'], ...libraries.map((l) => [l.id, l.name])])}
      {select('type', 'Type', TYPES)}
      {input('genre', 'Genre')}
      {input('year_min', 'From year', { type: 'number', inputMode: 'numeric', min: 1800, max: 2100 })}
      {input('year_max', 'To year', { type: 'number', inputMode: 'numeric', min: 1800, max: 2100 })}
      {select('resolution', 'Resolution', RESOLUTIONS)}
      {input('video_codec', 'Video codec', { placeholder: 'h264' })}
      {input('audio_codec', 'Audio codec', { placeholder: 'aac' })}
      {select('status', 'Status', STATUSES)}
      {select('sort', 'Sort by', SORTS)}
      {select('order', 'Order', [
        ['', 'Default'],
        ['asc', 'Ascending'],
        ['desc', 'Descending'],
      ])}
        </div>
      </details>
    </form>
  );
}
