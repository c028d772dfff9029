/** An item's artwork, or a placeholder with its initials when it has none (or it fails to load). */
import { useState } from 'react';

const COLOURS = ['#3b4a6b', '#4b3b6b', '#6b3b4f', '#3b6b5a', '#6b5a3b', '#3b5f6b'];

function hue(text: string): string {
  let h = 0;
  for (const c of text) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return COLOURS[h % COLOURS.length];
}

export function Artwork({
  url,
  title,
  shape = 'poster',
}: {
  url?: string | null;
  title: string;
  shape?: 'poster' | 'square';
}) {
  const [failed, setFailed] = useState(false);
  const initials = title
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((w) => w[0]?.toUpperCase())
    .join('');
  return (
    <div className={`artwork artwork-${shape}`} style={{ background: hue(title) }}>
      {url && !failed ? (
        <img src={url} alt="" loading="lazy" onError={() => setFailed(true)} />
      ) : (
        <span className="artwork-placeholder" aria-hidden="true">
          {initials || '?'}
        </span>
      )}
    </div>
  );
}
