import { describe, expect, it } from 'vitest';
import { chooseSubtitle, initialSubtitle, selectedSubtitle, subtitleLabel, type SubtitleTrack } from '../subtitles';

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
