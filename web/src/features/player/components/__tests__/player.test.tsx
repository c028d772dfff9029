import { fireEvent, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { item, job, session, stream } from '@/testing/fixtures';
import { mockApi } from '@/testing/mock-api';
import { renderWithProviders } from '@/testing/test-utils';
import type { DeviceProfile } from '../../lib/device-profile';
import { Player } from '../player';

const profile = { Name: 'Test', DirectPlayProfiles: [], TranscodingProfiles: [], CodecProfiles: [] } as unknown as DeviceProfile;

describe('Player', () => {
  it('sends the profile, plays a DirectPlay URL in the element and says why', async () => {
    const api = mockApi({
      'POST /items/{id}/playback': { status: 201, body: session() },
      'POST /sessions/{id}/stop': { body: session({ state: 'stopped' }) },
    });
    const { unmount } = renderWithProviders(<Player item={item({ id: 'item1' })} title="Film" profile={profile} onClose={() => {}} />);
    await waitFor(() => expect(document.querySelector('video')?.getAttribute('src')).toBe('http://s3.test/media/film.mp4?sig=1'));
    const decide = api.calls.find((c) => c.path === '/items/item1/playback')!;
    expect(decide.body).toMatchObject({ profile: { Name: 'Test' }, allow_direct_play: true });
    expect(screen.getByTestId('play-method')).toHaveTextContent('DirectPlay');
    expect(screen.getByText(/none: the browser plays the file as it is/)).toBeInTheDocument();
    unmount();
    await waitFor(() => expect(api.calls.some((c) => c.path === '/sessions/sess1/stop')).toBe(true));
  });

  it('shows "preparing" with the job progress until the transcode is playable', async () => {
    let progress = 40;
    mockApi({
      'POST /items/{id}/playback': {
        status: 201,
        body: session({ method: 'Transcode', status: 'transcoding', transcode_id: 'abc123', url: 'http://api.test/transcodes/abc123/master.m3u8', decision: { reasons: ['AudioCodecNotSupported'] } }),
      },
      'GET /transcodes/{h}': () => ({ body: job({ progress }) }),
      'POST /sessions/{id}/stop': { body: session() },
    });
    renderWithProviders(<Player item={item()} title="Film" profile={profile} onClose={() => {}} />);
    expect(await screen.findByText('Preparing…')).toBeInTheDocument();
    expect(await screen.findByText(/40 %/)).toBeInTheDocument();
    expect(screen.getByRole('progressbar', { name: 'Transcode progress' })).toHaveAttribute('value', '40');
    expect(screen.getByText('AudioCodecNotSupported')).toBeInTheDocument();
    progress = 55;
    expect(await screen.findByText(/55 %/, {}, { timeout: 3000 })).toBeInTheDocument();
  });

  it("shows the API's error when no decision is possible", async () => {
    mockApi({
      'POST /items/{id}/playback': { status: 422, body: { error: { code: 'NoCompatibleStream', message: 'nothing plays this (reasons: ContainerNotSupported)' } } },
    });
    renderWithProviders(<Player item={item()} title="Film" profile={profile} onClose={() => {}} />);
    expect(await screen.findByRole('alert')).toHaveTextContent('nothing plays this (reasons: ContainerNotSupported)');
  });

  it('decides again with the chosen audio track', async () => {
    const api = mockApi({
      'POST /items/{id}/playback': { status: 201, body: session() },
      'POST /sessions/{id}/stop': { body: session() },
      'POST /sessions/{id}/progress': { body: session() },
    });
    const film = item({
      streams: [
        stream(),
        stream({ index: 1, type: 'audio', codec: 'aac', language: 'eng', channels: 2 }),
        stream({ index: 2, type: 'audio', codec: 'ac3', language: 'fra', channels: 6 }),
      ],
    });
    renderWithProviders(<Player item={film} title="Film" profile={profile} onClose={() => {}} />);
    const select = await screen.findByLabelText('Audio');
    await userEvent.selectOptions(select, '2');
    await waitFor(() => {
      const decisions = api.calls.filter((c) => c.path.endsWith('/playback'));
      expect(decisions.at(-1)?.body).toMatchObject({ audio_stream_index: 2 });
    });
    await waitFor(() => expect(api.calls.some((c) => c.path.endsWith('/stop'))).toBe(true));
  });

  it('reports the position on pause and on seek', async () => {
    const api = mockApi({ 'POST /items/{id}/playback': { status: 201, body: session() }, 'POST /sessions/{id}/progress': { body: session() } });
    renderWithProviders(<Player item={item()} title="Film" profile={profile} onClose={() => {}} />);
    await waitFor(() => expect(document.querySelector('video')?.getAttribute('src')).toBeTruthy());
    const video = document.querySelector('video')!;
    video.currentTime = 75;
    fireEvent(video, new Event('pause'));
    await waitFor(() => expect(api.calls.filter((c) => c.path === '/sessions/sess1/progress')).toHaveLength(1));
    expect(api.calls.at(-1)!.body).toMatchObject({ position: 75, paused: true, audio_stream_index: 1 });
    video.currentTime = 200;
    fireEvent(video, new Event('seeked'));
    await waitFor(() => expect(api.calls.filter((c) => c.path === '/sessions/sess1/progress')).toHaveLength(2));
    expect(api.calls.at(-1)!.body).toMatchObject({ position: 200 });
  });

  it('toggles play with the space bar and seeks with the arrows', async () => {
    mockApi({ 'POST /items/{id}/playback': { status: 201, body: session() }, 'POST /sessions/{id}/progress': { body: session() } });
    renderWithProviders(<Player item={item({ duration: 600 })} title="Film" profile={profile} onClose={() => {}} />);
    await waitFor(() => expect(document.querySelector('video')?.getAttribute('src')).toBeTruthy());
    const video = document.querySelector('video')!;
    const play = vi.spyOn(video, 'play');
    Object.defineProperty(video, 'paused', { configurable: true, get: () => true });
    await userEvent.keyboard(' ');
    expect(play).toHaveBeenCalled();
    Object.defineProperty(video, 'duration', { configurable: true, get: () => 600 });
    video.currentTime = 100;
    await userEvent.keyboard('{ArrowRight}');
    expect(video.currentTime).toBe(110);
    await userEvent.keyboard('{ArrowLeft}{ArrowLeft}');
    expect(video.currentTime).toBe(90);
  });
});

describe('Player subtitles', () => {
  const film = item({
    id: 'item1',
    streams: [
      stream(),
      stream({ index: 1, type: 'audio', codec: 'aac', language: 'eng', channels: 2 }),
      stream({ index: 2, type: 'subtitle', codec: 'subrip', language: 'eng', external: true }),
      stream({ index: 3, type: 'subtitle', codec: 'ass', language: 'fra' }),
    ],
  });
  const sub = (index: number, delivery: 'External' | 'Encode', language: string) => ({
    index, delivery, language, codec: delivery === 'External' ? 'subrip' : 'ass', title: null, default: false,
    forced: false, hearing_impaired: false, external: delivery === 'External', format: delivery === 'External' ? 'vtt' : 'ass',
    url: delivery === 'External' ? `http://api.test/signed/tok/items/item1/subtitles/${index}.vtt` : null,
  });

  it('adds the External subtitle as a <track>, switches off locally, decides again to burn one in', async () => {
    vi.stubGlobal('URL', Object.assign(URL, { createObjectURL: vi.fn(() => 'blob:vtt-2'), revokeObjectURL: vi.fn() }));
    const api = mockApi({
      'POST /items/{id}/playback': { status: 201, body: session({ subtitle_stream_index: 2, subtitles: [sub(2, 'External', 'eng'), sub(3, 'Encode', 'fra')] }) },
      'GET /signed/{t}/items/{id}/subtitles/{name}': { body: 'WEBVTT' },
      'POST /sessions/{id}/stop': { body: session() },
      'POST /sessions/{id}/progress': { body: session() },
    });
    renderWithProviders(<Player item={film} title="Film" profile={profile} onClose={() => {}} />);
    await waitFor(() => expect(document.querySelector('video track')).not.toBeNull());
    const track = document.querySelector('video track')!;
    expect(track).toHaveAttribute('src', 'blob:vtt-2');
    expect(track).toHaveAttribute('kind', 'subtitles');
    expect(track).toHaveAttribute('srclang', 'eng');
    expect(track).toHaveAttribute('label', 'English · subrip');
    expect(api.calls.some((c) => c.path === '/signed/tok/items/item1/subtitles/2.vtt')).toBe(true);
    const select = screen.getByRole('combobox', { name: 'Subtitles' });
    expect(select).toHaveValue('2');
    await userEvent.selectOptions(select, '-1'); // off: the track is only hidden
    expect(select).toHaveValue('-1');
    expect(api.calls.filter((c) => c.path.endsWith('/playback'))).toHaveLength(1);
    await userEvent.selectOptions(select, '3'); // ASS is burned in: a new decision
    await waitFor(() => {
      const decisions = api.calls.filter((c) => c.path.endsWith('/playback'));
      expect(decisions).toHaveLength(2);
      expect(decisions[1].body).toMatchObject({ subtitle_stream_index: 3 });
    });
  });
});
