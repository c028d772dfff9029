/** A row of a user's items: continue watching (with how far) or next up. */
import { MediaCard } from '@/components/ui/media-card';
import { EmptyState, QueryState } from '@/components/ui/status';
import { formatDuration, itemSubtitle, itemTitle } from '@/lib/format';
import { useNextUp } from '../api/get-next-up';
import { useResume } from '../api/get-resume';

type Props = { user: string; label: string; emptyText: string };

function Row({ query, label, emptyText, resume }: { query: ReturnType<typeof useResume>; label: string; emptyText: string; resume?: boolean }) {
  return (
    <QueryState query={query} label={`Loading ${label.toLowerCase()}…`} isEmpty={(d) => d.length === 0} empty={<EmptyState title={emptyText} />}>
      {(entries) => (
        <ul className="row" aria-label={label}>
          {entries.map(({ item, user_data }) => {
            const title = itemTitle(item);
            const position = user_data?.position ?? 0;
            const duration = item.duration ?? user_data?.duration ?? 0;
            return (
              <MediaCard
                key={item.id}
                to={`/items/${item.id}`}
                title={title}
                sub={resume && position ? `${formatDuration(position)} of ${formatDuration(duration)}` : itemSubtitle(item)}
                artworkTitle={item.series ?? item.album ?? title}
                square={item.kind === 'track'}
                progress={resume && duration ? position / duration : undefined}
              />
            );
          })}
        </ul>
      )}
    </QueryState>
  );
}

export function ContinueWatching({ user, label, emptyText }: Props) {
  return <Row query={useResume(user)} label={label} emptyText={emptyText} resume />;
}

export function NextUp({ user, label, emptyText }: Props) {
  return <Row query={useNextUp(user)} label={label} emptyText={emptyText} />;
}
