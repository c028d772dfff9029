"""An in-process transcoding provider: remux to MP4 when no re-encode is needed.

It answers ``transcode.plan`` with an ffmpeg argument list (never a shell string): stream copy
when the codecs already fit MP4, else nothing to offer (an error, so the next provider is asked).
"""

from __future__ import annotations

from typing import Any

from viewra.plugins.base import InProcessPlugin, PluginError
from viewra.plugins.model import Capabilities, PluginInfo, PluginType

MP4_VIDEO = {"h264", "hevc", "av1"}
MP4_AUDIO = {"aac", "ac3", "eac3", "mp3", "opus", "flac"}


class RemuxTranscoder(InProcessPlugin):
    INFO = PluginInfo(
        name="example-transcoder",
        type=PluginType.TRANSCODER,
        version="0.1.0",
        capabilities=Capabilities(formats=["mp4"], codecs=sorted(MP4_VIDEO | MP4_AUDIO)),
        methods=["transcode.plan"],
    )

    def handle_transcode_plan(self, params: dict[str, Any]) -> dict[str, Any]:
        source, target = params.get("input") or {}, params.get("target") or {}
        video, audio = source.get("video_codec"), source.get("audio_codec")
        if target.get("container", "mp4") != "mp4":
            raise PluginError("remux writes mp4 only")
        if video not in MP4_VIDEO or (audio is not None and audio not in MP4_AUDIO):
            raise PluginError(f"cannot remux {video}/{audio} into mp4")
        argv = ["ffmpeg", "-nostdin", "-i", source["url"], "-map", "0:v:0", "-map", "0:a:0?"]
        argv += ["-c", "copy", "-movflags", "+faststart", "-f", "mp4", target["output"]]
        return {"argv": argv}
