"""The decide function invoked directly with a Lambda event (tests/events/decide_request.json)."""

from __future__ import annotations

from tests.functional.conftest import load_event
from viewra.local.functions import load_function
from viewra.local.worker import LambdaContext
from viewra.media.models.items import MediaItem


def invoke(event: dict) -> dict:
    return load_function("decide").handle_decide(event, LambdaContext(function_name="decide"))


def test_uhd_hdr_mkv_on_chrome_transcodes_with_every_reason() -> None:
    answer = invoke(load_event("decide_request.json"))
    d = answer["decision"]
    assert d["method"] == "Transcode"
    assert "VideoCodecNotSupported" in d["reasons"]  # Chrome plays no HEVC
    assert d["audio_stream_index"] == 2  # the French AC-3 track that was asked for
    assert d["target"]["video_codec"] == "h264"
    assert d["target"]["video_bitrate"] + (d["target"]["audio_bitrate"] or 0) <= 20_000_000


def test_bad_events_answer_errors_not_tracebacks() -> None:
    assert invoke({})["error"]["code"] == "BadRequest"
    event = load_event("decide_request.json") | {"profile": "toaster"}
    assert invoke(event)["error"]["code"] == "UnknownProfile"
    event = load_event("decide_request.json") | {"options": {"max_streaming_bitrate": -5}}
    assert invoke(event)["error"]["code"] == "ValidationError"


def test_item_by_id_reads_the_catalogue(services) -> None:
    item = load_event("decide_request.json")["item"]
    services.catalog.put(MediaItem.model_validate(item), order="1")
    answer = invoke({"item_id": item["id"], "profile": "android"})
    assert answer["decision"]["method"] in {"DirectPlay", "DirectStream", "Transcode"}
    assert invoke({"item_id": "missing"})["error"]["code"] == "NotFound"
