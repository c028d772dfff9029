import { useEffect } from 'react';

/** The document's title names the page (screen readers announce it on navigation). */
export function useTitle(title: string | undefined): void {
  useEffect(() => {
    document.title = title ? `${title} · Viewra` : 'Viewra';
  }, [title]);
}
