"""The port through which playback asks for a remux or transcode.

Playback hands the decision over and gets the session back with where to play from: the HLS
master playlist (or progressive MP4) served through the API, and the job's status URL. The same
request twice shares one job, and finished output is answered at once (content addressing).
"""

from __future__ import annotations

from typing import Any

from viewra.media.models.items import MediaItem
from viewra.playback.decision import Decision, SubtitleDeliveryMethod
from viewra.playback.models.sessions import DeliveryStatus, PlaybackSession
from viewra.transcoding.command import MASTER_PLAYLIST, MP4_FILE
from viewra.transcoding.context import Transcoder as TranscodeContext
from viewra.transcoding.jobs import RequestResult, request_transcode
from viewra.transcoding.params import Protocol as OutputProtocol
from viewra.transcoding.params import SourceRef, TranscodeParams, params_from_target


def _position(streams: list[Any], index: int | None) -> int | None:
    """A stream's absolute index as its position among streams of its type (ffmpeg's a:N)."""
    if index is None:
        return None
    for n, stream in enumerate(streams):
        if stream.index == index:
            return n
    return None


def params_for(item: MediaItem, decision: Decision) -> TranscodeParams:
    """The transcode parameters a playback decision asks for, stream choices included."""
    burn = None
    if decision.subtitle_delivery is SubtitleDeliveryMethod.ENCODE:
        burn = _position(item.subtitle_streams, decision.subtitle_stream_index)
    params = params_from_target(decision.target, burn_subtitle=burn)
    return params.model_copy(
        update={"audio_stream_index": _position(item.audio_streams, decision.audio_stream_index)}
    )


def source_of(item: MediaItem) -> SourceRef:
    return SourceRef(bucket=item.bucket, key=item.key, etag=item.etag, size=item.size)


def hints_of(item: MediaItem) -> dict[str, Any]:
    video = item.video_streams[0].codec if item.video_streams else None
    return {"container": item.container, "video_codec": video, "duration": item.duration}


def output_url(base_url: str, h: str, params: TranscodeParams) -> str:
    name = MASTER_PLAYLIST if params.protocol is OutputProtocol.HLS else MP4_FILE
    return f"{base_url.rstrip('/')}/transcodes/{h}/{name}"


def request_for_item(
    tc: TranscodeContext, item: MediaItem, params: TranscodeParams, *, with_job: bool = True
) -> RequestResult:
    return request_transcode(tc, source_of(item), params, hints=hints_of(item), with_job=with_job)


class QueueTranscoder:
    """Requests jobs from the transcode queue (see viewra.transcoding.jobs)."""

    def __init__(self, context: TranscodeContext) -> None:
        self._tc = context

    def request_for_session(
        self, item: MediaItem, decision: Decision, session: PlaybackSession, base_url: str
    ) -> PlaybackSession:
        params = params_for(item, decision)
        result = request_for_item(self._tc, item, params, with_job=False)  # no record needed
        return session.model_copy(
            update={
                "status": DeliveryStatus.READY if result.ready else DeliveryStatus.TRANSCODING,
                "url": output_url(base_url, result.h, params),
                "status_url": f"{base_url.rstrip('/')}/transcodes/{result.h}",
                "transcode_id": result.h,
            }
        )
