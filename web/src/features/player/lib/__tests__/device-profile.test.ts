import { describe, expect, it } from 'vitest';
import { audioSupport, buildDeviceProfile, type Capabilities, videoSupport } from '../device-profile';

/** A browser described by what it answers: the codec strings it plays per MIME type. */
function browser(opts: {
  containers: string[];
  codecs: RegExp;
  mse?: RegExp;
  nativeHls?: boolean;
  hdr?: boolean;
}): Capabilities {
  return {
    canPlay: (type) => {
      const [mime, rest] = type.split(';');
      if (!opts.containers.includes(mime.trim())) return '';
      if (!rest) return 'maybe';
      const codec = /codecs="([^"]+)"/.exec(rest)?.[1] ?? '';
      return opts.codecs.test(codec) ? 'probably' : '';
    },
    mse: (type) => {
      const codec = /codecs="([^"]+)"/.exec(type)?.[1] ?? '';
      return !!opts.mse && opts.mse.test(codec);
    },
    nativeHls: opts.nativeHls ?? false,
    hdr: opts.hdr ?? false,
    name: 'Test browser',
  };
}

// H.264 up to level 4.2 (0x2A), AAC, MP3, Opus; MP4 and WebM; hls.js through MediaSource
const chromeLike = browser({
  containers: ['video/mp4', 'video/webm', 'audio/mpeg', 'audio/mp4'],
  codecs: /^(avc1\.(42E0|4200|4D40|6400)(1E|1F|20|28|29|2A)|mp4a\.40\.2|mp4a\.69|opus|vp09\.00\.10\.08|vp8)$/,
  mse: /^(avc1\.(42E0|4200|4D40|6400)(1E|1F|20|28|29|2A)|mp4a\.40\.2|mp4a\.69)$/,
});

describe('videoSupport', () => {
  it('finds each H.264 profile and the highest level accepted', () => {
    const [h264] = videoSupport((c) => /^avc1\.(4D40|6400)(1E|1F|20|28)$/.test(c));
    expect(h264.codec).toBe('h264');
    expect(h264.profiles).toEqual(['main', 'high']);
    expect(h264.maxLevel).toBe(40);
  });

  it('finds HEVC main 10 only where the browser says so', () => {
    expect(videoSupport((c) => c.startsWith('hvc1.1.')).map((v) => [v.codec, v.bitDepth])).toEqual([['hevc', 8]]);
    expect(videoSupport((c) => c.startsWith('hvc1.')).map((v) => [v.codec, v.bitDepth])).toEqual([['hevc', 10]]);
  });

  it('is empty for a browser that plays nothing', () => {
    expect(videoSupport(() => false)).toEqual([]);
    expect(audioSupport(() => false)).toEqual([]);
  });
});

describe('buildDeviceProfile', () => {
  it('direct-plays only containers and codecs the browser accepts', () => {
    const p = buildDeviceProfile(chromeLike);
    const mp4 = p.DirectPlayProfiles.find((d) => d.Container === 'mp4,m4v')!;
    expect(mp4.VideoCodec.split(',')).toEqual(['h264', 'vp9', 'vp8']);
    expect(mp4.AudioCodec.split(',')).toEqual(['aac', 'mp3', 'opus']);
    expect(p.DirectPlayProfiles.some((d) => d.Container === 'mkv')).toBe(false);
    expect(JSON.stringify(p)).not.toContain('ac3');
  });

  it('limits H.264 to the profiles and level found', () => {
    const h264 = buildDeviceProfile(chromeLike).CodecProfiles.find((c) => c.Codec === 'h264')!;
    const cond = Object.fromEntries(h264.Conditions.map((c) => [c.Property, c.Value]));
    expect(cond.VideoProfile).toBe('constrained baseline|baseline|main|high');
    expect(cond.VideoLevel).toBe('42');
    expect(cond.VideoBitDepth).toBe('8');
    expect(cond.VideoRangeType).toBe('SDR');
  });

  it('offers HLS in MPEG-TS with what MediaSource takes', () => {
    const hls = buildDeviceProfile(chromeLike).TranscodingProfiles.find((t) => t.Protocol === 'hls' && t.Type === 'Video')!;
    expect(hls).toMatchObject({ Container: 'ts', VideoCodec: 'h264', AudioCodec: 'aac,mp3' });
  });

  it('adds what a richer browser reports: HEVC, AC-3, HDR, native HLS', () => {
    const safariLike = browser({
      containers: ['video/mp4', 'video/quicktime', 'audio/mp4'],
      codecs: /^(avc1\.6400(1E|28|33)|hvc1\..*|mp4a\.40\.2|ac-3|ec-3|alac|flac)$/,
      nativeHls: true,
      hdr: true,
    });
    const p = buildDeviceProfile(safariLike);
    const mp4 = p.DirectPlayProfiles.find((d) => d.Container === 'mp4,m4v')!;
    expect(mp4.VideoCodec).toBe('h264,hevc');
    expect(mp4.AudioCodec).toBe('aac,flac,ac3,eac3,alac');
    expect(p.DirectPlayProfiles.some((d) => d.Container === 'mov')).toBe(true);
    const hevc = p.CodecProfiles.find((c) => c.Codec === 'hevc')!;
    expect(hevc.Conditions.find((c) => c.Property === 'VideoRangeType')!.Value).toBe('SDR|HDR10|HLG');
    expect(p.TranscodingProfiles.some((t) => t.Protocol === 'hls')).toBe(true);
  });

  it('offers no HLS where there is neither MediaSource nor native HLS', () => {
    const old = browser({ containers: ['video/mp4', 'audio/mpeg'], codecs: /^(avc1\.42E01E|mp4a\.40\.2)$/ });
    const p = buildDeviceProfile(old);
    expect(p.TranscodingProfiles.filter((t) => t.Protocol === 'hls')).toEqual([]);
    expect(p.TranscodingProfiles.map((t) => t.Container)).toEqual(['mp3']);
  });
});
