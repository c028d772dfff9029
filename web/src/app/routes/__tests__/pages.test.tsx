/** Each page's states: loading, error (the API's message), empty, and its data. */
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { item, job, session } from '@/testing/fixtures';
import { mockApi, pending } from '@/testing/mock-api';
import { renderAt } from '@/testing/test-utils';
import { AdminRoute } from '../admin';
import { HomeRoute } from '../home';
import { ItemRoute } from '../item';
import { LibraryRoute } from '../library';

const library = (kind: string) => ({ id: 'lib1', name: 'My Films', prefix: 'films/', kind, created_at: '', updated_at: '' });
const health = { status: 'ok', checks: { 'bucket:my-media': 'ok', 'bucket:my-content': 'ok' } };
const emptyUser = { body: { items: [] } };

describe('home', () => {
  it('shows loading, then continue watching with the position, next up and recently added', async () => {
    const film = item({ title: 'Playtime', duration: 600 });
    mockApi({
      'GET /users/default/resume': { body: { items: [{ item: film, user_data: { position: 125, duration: 600 } }] } },
      'GET /users/default/next-up': emptyUser,
      'GET /items': { body: { items: [item({ title: 'Newest' })], cursor: null } },
    });
    renderAt('/', [{ path: '/', element: <HomeRoute /> }]);
    expect(screen.getAllByRole('status').length).toBeGreaterThan(0);
    const row = await screen.findByRole('list', { name: 'Continue watching' });
    expect(within(row).getByRole('link', { name: /Playtime/ })).toHaveTextContent('2:05 of 10:00');
    expect(await screen.findByText('No series in progress.')).toBeInTheDocument();
    expect(within(await screen.findByRole('list', { name: 'Recently added' })).getByText('Newest')).toBeInTheDocument();
  });

  it("shows the API's error message", async () => {
    mockApi({
      'GET /users/default/resume': { status: 500, body: { error: { code: 'InternalError', message: 'internal error' } } },
      'GET /users/default/next-up': emptyUser,
      'GET /items': { body: { items: [], cursor: null } },
    });
    renderAt('/', [{ path: '/', element: <HomeRoute /> }]);
    expect(await screen.findByRole('alert')).toHaveTextContent('internal error (InternalError, 500)');
    expect(await screen.findByText('Nothing added yet.')).toBeInTheDocument();
  });
});

describe('library page', () => {
  it('shows the aws s3 cp line for an empty library', async () => {
    mockApi({
      'GET /libraries/lib1': { body: library('movies') },
      'GET /health': { body: health },
      'GET /items': { body: { items: [], cursor: null } },
    });
    renderAt('/libraries/lib1', [{ path: '/libraries/:libraryId', element: <LibraryRoute /> }]);
    expect(await screen.findByText('This library is empty.')).toBeInTheDocument();
    await waitFor(() => expect(screen.getByText(/aws s3 cp/)).toHaveTextContent('s3://my-media/films/'));
  });

  it('lists items on the cursor, sends the filters, and lists failed items with their reason', async () => {
    const api = mockApi({
      'GET /libraries/lib1': { body: library('movies') },
      'GET /health': { body: health },
      'GET /items': (req) => {
        if (req.query.get('status') === 'failed') {
          return { body: { items: [item({ key: 'films/broken.mkv', status: 'failed', failure_reason: 'not a media file' })], cursor: null } };
        }
        return req.query.get('cursor')
          ? { body: { items: [item({ title: 'Second Page' })], cursor: null } }
          : { body: { items: [item({ title: 'First Page' })], cursor: 'c1' } };
      },
    });
    renderAt('/libraries/lib1?genre=Drama&sort=year', [{ path: '/libraries/:libraryId', element: <LibraryRoute /> }]);
    expect(await screen.findByText('First Page')).toBeInTheDocument();
    const first = api.calls.find((c) => c.path === '/items' && !c.query.get('status'))!;
    expect(Object.fromEntries(first.query)).toMatchObject({ library: 'lib1', genre: 'Drama', sort: 'year', order: 'asc' });
    await userEvent.click(await screen.findByRole('button', { name: 'Load more' }));
    expect(await screen.findByText('Second Page')).toBeInTheDocument();
    expect(api.calls.some((c) => c.query.get('cursor') === 'c1')).toBe(true);
    expect(await screen.findByText('not a media file')).toBeInTheDocument();
    expect(screen.getByRole('heading', { name: 'Failed items (1)' })).toBeInTheDocument();
  });

  it('groups a shows library into series, then seasons with numbered episodes', async () => {
    const ep = (season: number, episode: number, title: string) =>
      item({ kind: 'episode', series: 'The Show', season, episode, episode_title: title, title });
    mockApi({
      'GET /libraries/lib1': { body: library('shows') },
      'GET /health': { body: health },
      'GET /items': (req) =>
        req.query.get('status') === 'failed'
          ? { body: { items: [], cursor: null } }
          : { body: { items: [ep(2, 1, 'Return'), ep(1, 2, 'Second'), ep(1, 1, 'Pilot')], cursor: null } },
    });
    renderAt('/libraries/lib1', [{ path: '/libraries/:libraryId', element: <LibraryRoute /> }]);
    await userEvent.click(await screen.findByRole('button', { name: /The Show/ }));
    expect(await screen.findByRole('heading', { name: 'Season 1' })).toBeInTheDocument();
    const seasons = screen.getAllByRole('list').filter((l) => l.tagName === 'OL');
    expect(within(seasons[0]).getAllByRole('link').map((a) => a.textContent)).toEqual([
      expect.stringContaining('S01E01Pilot'),
      expect.stringContaining('S01E02Second'),
    ]);
    expect(within(seasons[1]).getByRole('link')).toHaveTextContent('S02E01Return');
  });

  it('groups a music library into artists, then albums with their tracks in order', async () => {
    const track = (artist: string, album: string, year: number, n: number, title: string) =>
      item({ kind: 'track', artist, album_artist: artist, album, year, track: n, title, duration: 200 });
    mockApi({
      'GET /libraries/lib1': { body: library('music') },
      'GET /health': { body: health },
      'GET /items': (req) =>
        req.query.get('status') === 'failed'
          ? { body: { items: [], cursor: null } }
          : {
              body: {
                items: [track('Band', 'Later', 2005, 1, 'Gamma'), track('Band', 'Debut', 1999, 2, 'Beta'), track('Band', 'Debut', 1999, 1, 'Alpha'), track('Other', 'X', 2000, 1, 'Solo')],
                cursor: null,
              },
            },
    });
    renderAt('/libraries/lib1', [{ path: '/libraries/:libraryId', element: <LibraryRoute /> }]);
    const artists = await screen.findByRole('list', { name: 'Artists' });
    expect(within(artists).getAllByRole('button').map((b) => b.textContent)).toEqual([
      expect.stringContaining('Band2 album(s) · 3 track(s)'),
      expect.stringContaining('Other'),
    ]);
    await userEvent.click(within(artists).getByRole('button', { name: /Band/ }));
    const albums = screen.getAllByRole('heading', { level: 3 }).map((h) => h.textContent);
    expect(albums).toEqual(['Debut (1999)', 'Later (2005)']);
    const debut = screen.getAllByRole('list').filter((l) => l.tagName === 'OL')[0];
    expect(within(debut).getAllByRole('link').map((a) => a.textContent)).toEqual(['1Alpha3:20', '2Beta3:20']);
  });

  it('follows the scan this browser started until it completes', async () => {
    let polls = 0;
    mockApi({
      'GET /libraries/lib1': { body: library('movies') },
      'GET /health': { body: health },
      'GET /items': { body: { items: [], cursor: null } },
      'POST /libraries/lib1/scan': { status: 202, body: { id: 's1', library_id: 'lib1', status: 'running', total: 3, queued: 3, done: 0, skipped: 0, failed: 0, created_at: null, completed_at: null } },
      'GET /scans/s1': () => {
        polls += 1;
        const done = polls > 1;
        return { body: { id: 's1', library_id: 'lib1', status: done ? 'completed' : 'running', total: 3, queued: 0, done: done ? 2 : 1, skipped: 0, failed: done ? 1 : 0, created_at: null, completed_at: null } };
      },
    });
    renderAt('/libraries/lib1', [{ path: '/libraries/:libraryId', element: <LibraryRoute /> }]);
    await userEvent.click(await screen.findByRole('button', { name: 'Rescan' }));
    expect(await screen.findByText(/Scan running: 1 of 3 files/, {}, { timeout: 3000 })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Scanning…' })).toBeDisabled();
    expect(await screen.findByText(/Scan completed: 3 of 3 files \(2 read, 0 unchanged, 1 failed\)/, {}, { timeout: 4000 })).toBeInTheDocument();
  });

  it("shows a missing library's error", async () => {
    mockApi({ 'GET /libraries/lib1': { status: 404, body: { error: { code: 'NotFound', message: "library 'lib1' does not exist" } } }, 'GET /health': { body: health } });
    renderAt('/libraries/lib1', [{ path: '/libraries/:libraryId', element: <LibraryRoute /> }]);
    expect(await screen.findByRole('alert')).toHaveTextContent("library 'lib1' does not exist");
  });
});

describe('item page', () => {
  it('shows file, streams, enrichment and resume', async () => {
    const film = item({
      id: 'f1', title: 'Playtime', overview: 'Tati in Paris.',
      metadata: {
        sources: ['tmdb'], original_title: null, tagline: null, studios: [], poster_url: null, backdrop_url: null, cover_url: null,
        ratings: [{ source: 'tmdb', value: 7.9, votes: 800 }],
        cast: [{ name: 'Jacques Tati', role: 'Hulot', order: 0, image_url: null }],
        external_ids: { tmdb: 10227, imdb: 'tt0062136', tvdb: null, musicbrainz_recording: null, musicbrainz_release: null, musicbrainz_release_group: null, musicbrainz_artist: null },
      },
    });
    mockApi({
      'GET /items/f1': { body: film },
      'GET /users/default/history': { body: { items: [{ item: film, user_data: { position: 61, played: false, play_count: 0 } }] } },
    });
    renderAt('/items/f1', [{ path: '/items/:itemId', element: <ItemRoute /> }]);
    expect(await screen.findByRole('heading', { level: 1, name: 'Playtime' })).toBeInTheDocument();
    expect(screen.getByText('Tati in Paris.')).toBeInTheDocument();
    expect(screen.getByText('Jacques Tati')).toBeInTheDocument();
    expect(screen.getByText(/tmdb: 7.9/)).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'IMDb' })).toHaveAttribute('href', 'https://www.imdb.com/title/tt0062136/');
    expect(screen.getByText(/h264 · High · L40 · 1920×1080 · 1080p/)).toBeInTheDocument();
    expect(await screen.findByRole('link', { name: /Resume from 1:01/ })).toHaveAttribute('href', '/play/f1?t=61');
  });

  it("shows a failed item's reason", async () => {
    mockApi({
      'GET /items/x': { body: item({ id: 'x', status: 'failed', failure_reason: 'truncated file', streams: [] }) },
      'GET /users/default/history': emptyUser,
    });
    renderAt('/items/x', [{ path: '/items/:itemId', element: <ItemRoute /> }]);
    expect(await screen.findByRole('alert')).toHaveTextContent('truncated file');
    expect(screen.queryByRole('link', { name: /Play/ })).toBeNull();
  });
});

describe('admin page', () => {
  it('shows health, providers with the reason, plugins, and loading for what has not answered', async () => {
    mockApi({
      'GET /health': { status: 503, body: { status: 'degraded', checks: { 'bucket:m': 'ok', 'table:t': 'error: gone' } } },
      'GET /transcode/providers': { body: { providers: [{ name: 'software', available: true }, { name: 'nvenc', available: false, reason: 'no NVIDIA GPU' }] } },
      'GET /plugins': { body: { plugins: [{ name: 'example-nfo-scraper', state: 'ready', priority: 50, errors: [] }] } },
      'GET /sessions': { body: { sessions: [] } },
      'GET /transcode/cache': pending(),
    });
    renderAt('/admin', [{ path: '/admin', element: <AdminRoute /> }]);
    expect(await screen.findByText('degraded')).toBeInTheDocument();
    expect(screen.getByText('error: gone')).toBeInTheDocument();
    expect(await screen.findByText('no NVIDIA GPU')).toBeInTheDocument();
    expect(await screen.findByText('example-nfo-scraper')).toBeInTheDocument();
    expect(await screen.findByText('Nobody is playing anything.')).toBeInTheDocument();
    expect(screen.getByText('Loading the cache…')).toBeInTheDocument();
  });
});

describe('admin page: transcode jobs', () => {
  it("shows a playing session's job with its progress, and cancels it", async () => {
    const api = mockApi({
      'GET /health': { body: health },
      'GET /transcode/providers': { body: { providers: [] } },
      'GET /plugins': { body: { plugins: [] } },
      'GET /transcode/cache': { body: { entries: [], total_bytes: 0, budget_bytes: 100 } },
      'GET /sessions': { body: { sessions: [session({ method: 'Transcode', transcode_id: 'abc123def456ff' })] } },
      'GET /transcodes/{h}': { body: job({ h: 'abc123def456ff', progress: 62.4, speed: 3.5, eta_seconds: 12 }) },
      'DELETE /transcodes/{h}': { body: job({ h: 'abc123def456ff', status: 'cancelled', cancel_requested: true }) },
    });
    renderAt('/admin', [{ path: '/admin', element: <AdminRoute /> }]);
    expect(await screen.findByText(/62 % · 3.5× · 0:12 left/)).toBeInTheDocument();
    expect(screen.getByRole('progressbar', { name: 'Job abc123def456 progress' })).toHaveAttribute('value', '62.4');
    await userEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    await waitFor(() => expect(api.calls.some((c) => c.method === 'DELETE' && c.path === '/transcodes/abc123def456ff')).toBe(true));
    expect(await screen.findByText('cancelled')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Cancel' })).toBeNull();
  });
});
