import { useMutation } from '@tanstack/react-query';
import { client, unwrap, type Schemas } from '@/lib/api-client';
import type { DeviceProfile } from '../lib/device-profile';

export type PlaybackOptions = {
  audio_stream_index?: number | null;
  subtitle_stream_index?: number | null;
  start_position?: number;
};

/** Decide how this browser plays the item and open a session. */
export const startPlayback = async (itemId: string, profile: DeviceProfile, options: PlaybackOptions = {}) => {
  const body: Schemas['PlaybackRequest'] = {
    profile,
    max_streaming_bitrate: null,
    audio_stream_index: options.audio_stream_index ?? null,
    subtitle_stream_index: options.subtitle_stream_index ?? null,
    allow_direct_play: true,
    allow_direct_stream: true,
    allow_subtitle_extraction: true,
    start_position: options.start_position ?? 0,
  };
  return unwrap(
    await client.POST('/items/{item_id}/playback', { params: { path: { item_id: itemId } }, body }),
  );
};

export const useStartPlayback = () =>
  useMutation({
    mutationFn: (v: { itemId: string; profile: DeviceProfile; options?: PlaybackOptions }) =>
      startPlayback(v.itemId, v.profile, v.options),
  });
