"""Compact item descriptions for decision tables and property tests.

``{container: mkv, video: {codec: hevc, width: 3840, bit_depth: 10, range_type: HDR10},
audio: [{codec: eac3, channels: 6, default: true}], subs: {codec: subrip, lang: eng}}`` becomes a
full :class:`MediaItem`. Streams are numbered in the order video, audio, subtitles unless an
entry gives its own ``index``; ``kind`` defaults to movie when there is video, track otherwise.
"""

from __future__ import annotations

from typing import Any

from viewra.media.models.items import MediaItem

# shorthand key -> MediaStream field
_RENAMES = {
    "range_type": "video_range_type",
    "range": "video_range",
    "tag": "codec_tag",
    "fps": "frame_rate",
    "lang": "language",
    "refs": "ref_frames",
}


def _as_list(value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def build_item(spec: dict[str, Any]) -> MediaItem:
    """A MediaItem from the shorthand described in the module docstring."""
    streams: list[dict[str, Any]] = []
    next_index = 0
    for key, kind in (("video", "video"), ("audio", "audio"), ("subs", "subtitle")):
        for entry in _as_list(spec.get(key)):
            stream = {_RENAMES.get(k, k): v for k, v in (entry or {}).items()}
            stream.setdefault("index", next_index)
            stream["type"] = kind
            next_index = max(next_index, stream["index"]) + 1
            streams.append(stream)
    has_video = bool(spec.get("video"))
    fields = {k: v for k, v in spec.items() if k not in ("video", "audio", "subs")}
    fields.setdefault("kind", "movie" if has_video else "track")
    return MediaItem(
        id=fields.pop("id", "item-1"),
        library_id="lib-1",
        bucket="media",
        key=fields.pop("key", "media/item"),
        etag="etag-1",
        streams=streams,
        **fields,
    )
