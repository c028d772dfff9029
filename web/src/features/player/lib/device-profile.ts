/** The device profile sent to `POST /items/{id}/playback`, built from what this browser reports:
 * `MediaSource.isTypeSupported` (what hls.js can feed), `canPlayType` for each container (what
 * `<video>`/`<audio>` play directly), each video codec with its profiles and highest level, and
 * each audio codec. Nothing here is a fixed list of what "Chrome" plays. */

/** What the profile builder asks the browser; `browserCapabilities()` is the real one. */
export type Capabilities = {
  /** `MediaSource.isTypeSupported(type)`; false where there is no MediaSource */
  mse: (type: string) => boolean;
  /** `HTMLMediaElement.canPlayType(type)`: "", "maybe" or "probably" */
  canPlay: (type: string) => string;
  /** HLS playable without hls.js (Safari, iOS) */
  nativeHls: boolean;
  /** the display reports high dynamic range */
  hdr: boolean;
  name: string;
};

type Condition = {
  Condition: string;
  Property: string;
  Value: string;
  IsRequired: boolean;
};

export type DeviceProfile = {
  Name: string;
  MaxStreamingBitrate: number;
  MaxStaticBitrate: number;
  MusicStreamingTranscodingBitrate: number;
  DirectPlayProfiles: Record<string, string>[];
  TranscodingProfiles: Record<string, string | number | boolean>[];
  ContainerProfiles: never[];
  CodecProfiles: { Type: string; Codec?: string; Conditions: Condition[] }[];
  SubtitleProfiles: { Format: string; Method: string }[];
};

const hex = (n: number) => n.toString(16).padStart(2, '0').toUpperCase();

/** H.264 profiles as the API names them, with their profile_idc and constraint byte. */
const H264_PROFILES: [name: string, idc: number, constraint: number][] = [
  ['constrained baseline', 0x42, 0xe0],
  ['baseline', 0x42, 0x00],
  ['main', 0x4d, 0x40],
  ['high', 0x64, 0x00],
];
const H264_LEVELS = [30, 31, 32, 40, 41, 42, 50, 51, 52, 60, 61, 62];
const h264 = (idc: number, constraint: number, level: number) =>
  `avc1.${hex(idc)}${hex(constraint)}${hex(level)}`;

/** HEVC: profile space/idc, compatibility flags, level_idc (= level × 30). */
const HEVC_PROFILES: [name: string, codec: (level: number) => string][] = [
  ['main', (l) => `hvc1.1.6.L${l}.B0`],
  ['main 10', (l) => `hvc1.2.4.L${l}.B0`],
];
const HEVC_LEVELS = [93, 120, 123, 150, 153, 156, 180, 183, 186];

const AV1_LEVELS: [level: number, tag: string][] = [
  [8, '04'],
  [9, '05'],
  [12, '08'],
  [13, '09'],
  [16, '12'],
  [17, '13'],
  [19, '15'],
];

/** Audio codecs in the API's (ffmpeg) names and the strings browsers are asked about. */
const AUDIO: [name: string, codecs: string[]][] = [
  ['aac', ['mp4a.40.2']],
  ['mp3', ['mp4a.69', 'mp4a.6B', 'mp3']],
  ['opus', ['opus']],
  ['flac', ['flac']],
  ['vorbis', ['vorbis']],
  ['ac3', ['ac-3']],
  ['eac3', ['ec-3']],
  ['alac', ['alac']],
];

/** Video containers: the API's names and the MIME type `canPlayType` is asked about. */
const VIDEO_CONTAINERS: [names: string, mime: string][] = [
  ['mp4,m4v', 'video/mp4'],
  ['webm', 'video/webm'],
  ['mkv', 'video/x-matroska'],
  ['mov', 'video/quicktime'],
  ['ts,mpegts', 'video/mp2t'],
];

const AUDIO_CONTAINERS: [names: string, mime: string, codec: string | null][] = [
  ['mp3', 'audio/mpeg', 'mp3'],
  ['aac', 'audio/aac', 'aac'],
  ['m4a,mp4', 'audio/mp4', null],
  ['flac', 'audio/flac', 'flac'],
  ['ogg,oga', 'audio/ogg', null],
  ['webm', 'audio/webm', null],
  ['wav', 'audio/wav', null],
];

const yes = (answer: string) => answer === 'probably' || answer === 'maybe';

type VideoSupport = {
  codec: string;
  profiles: string[];
  maxLevel: number | null;
  /** a codec string that plays, to ask containers with */
  sample: string;
  bitDepth: number;
};

/** Which video codecs `test` accepts, with the profiles and the highest level it accepts. */
export function videoSupport(test: (codecs: string) => boolean): VideoSupport[] {
  const found: VideoSupport[] = [];
  const h264Profiles = H264_PROFILES.filter(([, idc, c]) => test(h264(idc, c, 30)));
  if (h264Profiles.length) {
    const [, idc, c] = h264Profiles[h264Profiles.length - 1];
    const levels = H264_LEVELS.filter((l) => test(h264(idc, c, l)));
    found.push({
      codec: 'h264',
      profiles: h264Profiles.map(([name]) => name),
      maxLevel: levels.length ? levels[levels.length - 1] : 30,
      sample: h264(idc, c, 30),
      bitDepth: 8,
    });
  }
  const hevc = HEVC_PROFILES.filter(([, codec]) => test(codec(93)));
  if (hevc.length) {
    const top = hevc[hevc.length - 1][1];
    const levels = HEVC_LEVELS.filter((l) => test(top(l)));
    found.push({
      codec: 'hevc',
      profiles: hevc.map(([name]) => name),
      maxLevel: levels.length ? levels[levels.length - 1] : 93,
      sample: hevc[0][1](93),
      bitDepth: hevc.some(([name]) => name === 'main 10') ? 10 : 8,
    });
  }
  if (test('vp09.00.10.08')) {
    const ten = test('vp09.02.10.10');
    found.push({ codec: 'vp9', profiles: ten ? ['profile 0', 'profile 2'] : ['profile 0'], maxLevel: null, sample: 'vp09.00.10.08', bitDepth: ten ? 10 : 8 });
  }
  const av1 = AV1_LEVELS.filter(([, tag]) => test(`av01.0.${tag}M.08`));
  if (av1.length) {
    found.push({
      codec: 'av1',
      profiles: ['main'],
      maxLevel: av1[av1.length - 1][0],
      sample: `av01.0.${av1[0][1]}M.08`,
      bitDepth: test(`av01.0.${av1[0][1]}M.10`) ? 10 : 8,
    });
  }
  if (test('vp8')) found.push({ codec: 'vp8', profiles: [], maxLevel: null, sample: 'vp8', bitDepth: 8 });
  return found;
}

/** Which audio codecs `test` accepts, in the API's names. */
export function audioSupport(test: (codecs: string) => boolean): string[] {
  return AUDIO.filter(([, codecs]) => codecs.some(test)).map(([name]) => name);
}

function codecConditions(v: VideoSupport, hdr: boolean): Condition[] {
  const c = (Condition: string, Property: string, Value: string): Condition => ({
    Condition,
    Property,
    Value,
    IsRequired: false,
  });
  const out: Condition[] = [];
  if (v.profiles.length) out.push(c('EqualsAny', 'VideoProfile', v.profiles.join('|')));
  if (v.maxLevel != null) out.push(c('LessThanEqual', 'VideoLevel', String(v.maxLevel)));
  out.push(c('LessThanEqual', 'VideoBitDepth', String(v.bitDepth)));
  const ranges = v.codec !== 'h264' && hdr ? 'SDR|HDR10|HLG' : 'SDR';
  out.push(c('EqualsAny', 'VideoRangeType', ranges));
  if (v.codec === 'h264') out.push(c('NotEquals', 'IsInterlaced', 'true'));
  return out;
}

export function buildDeviceProfile(caps: Capabilities): DeviceProfile {
  const directPlay: Record<string, string>[] = [];
  for (const [names, mime] of VIDEO_CONTAINERS) {
    if (!yes(caps.canPlay(mime))) continue;
    const test = (codecs: string) => yes(caps.canPlay(`${mime}; codecs="${codecs}"`));
    const video = videoSupport(test).map((v) => v.codec);
    const audio = audioSupport(test);
    if (video.length) {
      directPlay.push({ Container: names, Type: 'Video', VideoCodec: video.join(','), AudioCodec: audio.join(',') });
    }
  }
  for (const [names, mime, codec] of AUDIO_CONTAINERS) {
    if (!yes(caps.canPlay(mime))) continue;
    if (codec) {
      directPlay.push({ Container: names, Type: 'Audio', AudioCodec: codec });
    } else {
      const audio = audioSupport((codecs) => yes(caps.canPlay(`${mime}; codecs="${codecs}"`)));
      if (audio.length) directPlay.push({ Container: names, Type: 'Audio', AudioCodec: audio.join(',') });
    }
  }

  // HLS: hls.js feeds MediaSource (MPEG-TS is transmuxed to fMP4), or the browser plays it
  const streamTest = (codecs: string) =>
    caps.mse(`video/mp4; codecs="${codecs}"`) ||
    (caps.nativeHls && yes(caps.canPlay(`video/mp4; codecs="${codecs}"`)));
  const hlsVideo = videoSupport(streamTest);
  const hlsAudio = audioSupport(streamTest);
  const hls = caps.nativeHls || hlsVideo.length > 0;
  const transcoding: DeviceProfile['TranscodingProfiles'] = [];
  // the codec limits hold for every way of playing: direct (mp4 or webm) and HLS
  const videoAll = videoSupport(
    (codecs) =>
      streamTest(codecs) ||
      yes(caps.canPlay(`video/mp4; codecs="${codecs}"`)) ||
      yes(caps.canPlay(`video/webm; codecs="${codecs}"`)),
  );
  if (hls && hlsVideo.some((v) => v.codec === 'h264')) {
    const tsAudio = hlsAudio.filter((a) => a === 'aac' || a === 'mp3');
    transcoding.push({
      Container: 'ts',
      Type: 'Video',
      Context: 'Streaming',
      Protocol: 'hls',
      VideoCodec: 'h264',
      AudioCodec: (tsAudio.length ? tsAudio : ['aac']).join(','),
      MaxAudioChannels: '2',
      MinSegments: 1,
      BreakOnNonKeyFrames: true,
    });
  }
  if (hls && hlsAudio.includes('aac')) {
    transcoding.push({ Container: 'ts', Type: 'Audio', Context: 'Streaming', Protocol: 'hls', AudioCodec: 'aac', MaxAudioChannels: '2' });
  }
  if (yes(caps.canPlay('audio/mpeg'))) {
    transcoding.push({ Container: 'mp3', Type: 'Audio', Context: 'Streaming', Protocol: 'http', AudioCodec: 'mp3', MaxAudioChannels: '2' });
  }

  const codecProfiles: DeviceProfile['CodecProfiles'] = videoAll.map((v) => ({
    Type: 'Video',
    Codec: v.codec,
    Conditions: codecConditions(v, caps.hdr),
  }));
  codecProfiles.push({
    Type: 'VideoAudio',
    Conditions: [{ Condition: 'LessThanEqual', Property: 'AudioChannels', Value: '6', IsRequired: false }],
  });

  return {
    Name: caps.name,
    MaxStreamingBitrate: 120_000_000,
    MaxStaticBitrate: 100_000_000,
    MusicStreamingTranscodingBitrate: 384_000,
    DirectPlayProfiles: directPlay,
    TranscodingProfiles: transcoding,
    ContainerProfiles: [],
    CodecProfiles: codecProfiles,
    // Text subtitles as WebVTT files beside the stream (a <track>, whatever the method: the
    // server converts SRT and extracts embedded text); ASS/SSA keep their styling by burn-in.
    SubtitleProfiles: [
      { Format: 'vtt', Method: 'External' },
      { Format: 'ass', Method: 'Encode' },
      { Format: 'ssa', Method: 'Encode' },
      { Format: 'pgssub', Method: 'Encode' },
    ],
  };
}

/** This browser's answers. */
export function browserCapabilities(): Capabilities {
  const video = document.createElement('video');
  const MS = (globalThis as { MediaSource?: typeof MediaSource; ManagedMediaSource?: typeof MediaSource })
    .MediaSource ?? (globalThis as { ManagedMediaSource?: typeof MediaSource }).ManagedMediaSource;
  const ua = navigator.userAgent;
  const brand = /Edg\//.test(ua) ? 'Edge' : /Firefox\//.test(ua) ? 'Firefox' : /Chrom(e|ium)\//.test(ua) ? 'Chrome' : /Safari\//.test(ua) ? 'Safari' : 'Browser';
  return {
    mse: (type) => !!MS?.isTypeSupported?.(type),
    canPlay: (type) => video.canPlayType(type),
    nativeHls: yes(video.canPlayType('application/vnd.apple.mpegurl')),
    hdr: !!globalThis.matchMedia?.('(dynamic-range: high)').matches,
    name: `Viewra web (${brand})`,
  };
}
