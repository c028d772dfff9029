"""Request bodies are read as JSON Schema reads them: strictly typed, with 178.0 an integer."""

from __future__ import annotations

import pytest

from viewra.common.errors import Unprocessable
from viewra.common.http_answers import parse_body
from viewra.playback.models.sessions import ProgressReport


def test_a_whole_float_is_an_integer_and_an_int_a_float() -> None:
    report = parse_body(ProgressReport, b'{"position": 5, "subtitle_stream_index": 178.0}')
    assert (report.position, report.subtitle_stream_index) == (5.0, 178)
    assert isinstance(report.subtitle_stream_index, int)


@pytest.mark.parametrize(
    "body",
    [
        b'{"position": 1, "subtitle_stream_index": 1.5}',
        b'{"position": "5"}',
        b'{"position": 1, "paused": 1}',
        b'{"position": 1, "audio_stream_index": 1e300}',
    ],
)
def test_what_json_schema_refuses_is_still_refused(body: bytes) -> None:
    with pytest.raises(Unprocessable):
        parse_body(ProgressReport, body)
