/** One item as a card, linking to its page. */
import { MediaCard } from '@/components/ui/media-card';
import type { Schemas } from '@/lib/api-client';
import { itemSubtitle, itemTitle } from '@/lib/format';

export function ItemCard({ item }: { item: Schemas['MediaItem'] & { artwork_url?: string | null } }) {
  const title = itemTitle(item);
  return (
    <MediaCard
      to={`/items/${item.id}`}
      title={title}
      sub={itemSubtitle(item)}
      artworkTitle={item.series ?? item.album ?? title}
      artworkUrl={item.artwork_url}
      square={item.kind === 'track'}
    />
  );
}
