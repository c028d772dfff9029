/** Items, streams and sessions shaped as the API answers them (typed by the generated schema). */
import type { Schemas } from '@/lib/api-client';

let n = 0;

export function stream(overrides: Partial<Schemas['MediaStream']> = {}): Schemas['MediaStream'] {
  return {
    index: 0, type: 'video', codec: 'h264', codec_tag: null, profile: 'High', level: 40, bitrate: 4_000_000,
    language: null, title: null, default: true, forced: false, hearing_impaired: false, external: false,
    external_key: null, width: 1920, height: 1080, frame_rate: 23.976, bit_depth: 8, pixel_format: 'yuv420p',
    video_range: 'SDR', video_range_type: 'SDR', color_primaries: null, color_transfer: null, rotation: null,
    interlaced: false, anamorphic: false, aspect_ratio: '16:9', ref_frames: 4, channels: null,
    channel_layout: null, sample_rate: null,
    ...overrides,
  };
}

export function item(overrides: Partial<Schemas['ItemDetail']> = {}): Schemas['ItemDetail'] {
  n += 1;
  return {
    id: `item${n}`, library_id: 'lib1', bucket: 'viewra-media', key: `movies/Film ${n} (2001).mkv`, etag: 'e',
    size: 1_500_000, status: 'ready', failure_reason: null, kind: 'movie', title: `Film ${n}`, year: 2001,
    series: null, season: null, episode: null, episode_title: null, artist: null, album: null,
    album_artist: null, track: null, disc: null, genres: [], overview: null, metadata: null,
    container: 'mkv', duration: 600, bitrate: 5_000_000, artwork_key: null, added_at: '2026-01-01T00:00:00Z',
    updated_at: '2026-01-01T00:00:00Z',
    streams: [stream(), stream({ index: 1, type: 'audio', codec: 'aac', profile: 'LC', channels: 2, channel_layout: 'stereo', sample_rate: 48000, width: null, height: null, language: 'eng' })],
    artwork_url: null,
    ...overrides,
  } as Schemas['ItemDetail'];
}

export function session(overrides: Partial<Schemas['PlaybackSession']> = {}): Schemas['PlaybackSession'] {
  return {
    id: 'sess1', user_id: 'default', item_id: 'item1', state: 'playing', position: 0,
    audio_stream_index: 1, subtitle_stream_index: null, method: 'DirectPlay',
    decision: { reasons: [], container: 'mp4', profile_name: 'Viewra web (Chrome)' },
    status: 'ready', url: 'http://s3.test/media/film.mp4?sig=1', status_url: null, transcode_id: null,
    started_at: '2026-01-01T00:00:00Z', last_seen: '2026-01-01T00:00:00Z', stopped_at: null, play_counted: false,
    duration: 600, version: 0,
    ...overrides,
  };
}

export function job(overrides: Partial<Schemas['Job']> = {}): Schemas['Job'] {
  return {
    h: 'abc123', status: 'running', progress: 40, fps: 100, speed: 4, eta_seconds: 10, provider: 'software',
    error: null, attempts: 1, cancel_requested: false, params: null, source: null, created_at: null,
    updated_at: null, started_at: null, finished_at: null, playable_at: null, manifest_key: null,
    chunks: null, chunks_done: null,
    ...overrides,
  };
}
