import { fireEvent, render } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { Artwork } from '../artwork';

describe('Artwork', () => {
  it('shows the image where there is one', () => {
    const { container } = render(<Artwork url="http://s3.test/art.jpg?sig" title="Blade Runner" />);
    expect(container.querySelector('img')).toHaveAttribute('src', 'http://s3.test/art.jpg?sig');
  });

  it('shows the initials where there is none, or where the image fails', () => {
    const none = render(<Artwork title="Blade Runner" />);
    expect(none.container.querySelector('img')).toBeNull();
    expect(none.container).toHaveTextContent('BR');
    const broken = render(<Artwork url="http://s3.test/gone.jpg" title="Alien" />);
    fireEvent.error(broken.container.querySelector('img')!);
    expect(broken.container.querySelector('img')).toBeNull();
    expect(broken.container).toHaveTextContent('A');
  });
});
