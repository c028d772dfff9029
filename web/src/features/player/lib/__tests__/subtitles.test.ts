import { afterEach, describe, expect, it, vi } from 'vitest';
import { chooseSubtitle, fetchSubtitle, initialSubtitle, selectedSubtitle, subtitleLabel, type SubtitleTrack } from '../subtitles';

const track = (index: number, delivery: SubtitleTrack['delivery'], extra: Partial<SubtitleTrack> = {}): SubtitleTrack => ({
  index, delivery, codec: 'subrip', language: 'eng', title: null, default: false, forced: false,
  hearing_impaired: false, external: delivery === 'External', format: 'vtt',
  url: delivery === 'External' ? `http://api.test/signed/t/items/i/subtitles/${index}.vtt` : null,
  ...extra,
});
const subtitles = [track(2, 'External'), track(3, 'External'), track(4, 'Encode', { codec: 'ass' })];
const session = (chosen: number | null) => ({ subtitle_stream_index: chosen, subtitles });

describe('subtitle choice', () => {
  it('switches among External tracks without a new decision', () => {
    expect(chooseSubtitle(session(2), 3)).toEqual({ show: 3, redecide: null });
    expect(chooseSubtitle(session(null), 2)).toEqual({ show: 2, redecide: null });
    expect(chooseSubtitle(session(2), -1)).toEqual({ show: null, redecide: null });
  });

  it('decides again for a burned-in track, and to take one out of the picture', () => {
    expect(chooseSubtitle(session(2), 4)).toEqual({ show: null, redecide: 4 });
    expect(chooseSubtitle(session(4), -1)).toEqual({ show: null, redecide: -1 });
    // an External one while another is burned in: a new decision without the burn-in
    expect(chooseSubtitle(session(4), 2)).toEqual({ show: 2, redecide: 2 });
    expect(chooseSubtitle(session(4), 4)).toEqual({ show: null, redecide: null });
  });

  it("starts with the decision's External choice and shows the burned one as selected", () => {
    expect(initialSubtitle(session(3))).toBe(3);
    expect(initialSubtitle(session(4))).toBeNull();
    expect(initialSubtitle(null)).toBeNull();
    expect(selectedSubtitle(session(4), null)).toBe(4);
    expect(selectedSubtitle(session(null), null)).toBe(-1);
    expect(selectedSubtitle(session(4), 2)).toBe(2);
  });

  it('names a track by title, else language, with its flags', () => {
    expect(subtitleLabel(track(2, 'External'))).toBe('English · subrip');
    expect(subtitleLabel(track(2, 'External', { title: 'Commentary', forced: true }))).toBe('Commentary · forced · subrip');
    expect(subtitleLabel(track(5, 'External', { language: null, codec: null, hearing_impaired: true }))).toBe('Track 5 · SDH');
  });
});

describe('fetching a subtitle file', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.useRealTimers();
  });
  const answer = (status: number, body = '', headers: Record<string, string> = {}) =>
    new Response(status === 200 ? body : JSON.stringify({ error: { code: 'X', message: 'm' } }), { status, headers });

  it('asks again after Retry-After while the stream is being extracted', async () => {
    vi.useFakeTimers();
    const fetch = vi.fn()
      .mockResolvedValueOnce(answer(409, '', { 'Retry-After': '2' }))
      .mockResolvedValueOnce(answer(409, '', { 'Retry-After': '2' }))
      .mockResolvedValueOnce(answer(200, 'WEBVTT\n'));
    vi.stubGlobal('fetch', fetch);
    const text = fetchSubtitle('http://api.test/s/4.vtt', () => true);
    await vi.advanceTimersByTimeAsync(1999);
    expect(fetch).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(2001);
    await expect(text).resolves.toBe('WEBVTT\n');
    expect(fetch).toHaveBeenCalledTimes(3);
  });

  it('gives up on any other error, when no longer wanted, or after its tries', async () => {
    vi.stubGlobal('fetch', vi.fn().mockResolvedValue(answer(422)));
    await expect(fetchSubtitle('u', () => true)).rejects.toThrow('HTTP 422');
    vi.stubGlobal('fetch', vi.fn().mockResolvedValue(answer(409, '', { 'Retry-After': '0' })));
    await expect(fetchSubtitle('u', () => false)).rejects.toThrow('HTTP 409');
    vi.useFakeTimers();
    const busy = vi.fn().mockResolvedValue(answer(409, '', { 'Retry-After': '1' }));
    vi.stubGlobal('fetch', busy);
    const gaveUp = expect(fetchSubtitle('u', () => true, 3)).rejects.toThrow('HTTP 409');
    await vi.advanceTimersByTimeAsync(5000);
    await gaveUp;
    expect(busy).toHaveBeenCalledTimes(3);
  });
});
