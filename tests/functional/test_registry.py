"""The composition root: an implementation swapped by name reaches every handler, unpatched."""

from __future__ import annotations

import json

import pytest

from tests.functional.conftest import invoke_scan
from viewra.bootstrap import get_services, register_services
from viewra.common.events import Event


class Recording:
    """A publisher of our own, as a plugin or a test would register one."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def publish(self, event: Event) -> None:
        self.events.append(event)


def test_swapped_publisher_receives_what_the_handlers_publish(services, api, media_dir) -> None:
    recording = Recording()
    register_services(services.replace(events=recording))
    try:
        r = api.http.post(
            "/libraries",
            body=json.dumps({"name": "M", "prefix": "m/"}),
            headers={"Content-Type": "application/json"},
        )
        assert r.status_code == 201
        services.objects._s3.put_object(
            Bucket=services.settings.media_bucket,
            Key="m/Alien.mp4",
            Body=media_dir["mp4_faststart"].read_bytes(),
        )
        invoke_scan(
            services,
            {
                "Records": [
                    {
                        "eventName": "ObjectCreated:Put",
                        "eventTime": "2026-01-01T00:00:00.000Z",
                        "s3": {
                            "bucket": {"name": services.settings.media_bucket},
                            "object": {"key": "m/Alien.mp4"},
                        },
                    }
                ]
            },
        )
    finally:
        register_services(None)
    assert [e.type for e in recording.events] == ["ItemAdded"]
    assert recording.events[0].data["key"] == "m/Alien.mp4"
    assert get_services() is services  # back to the environment's
    assert all(e.type != "ItemAdded" for e in services.events.recent())


def test_replace_refuses_unknown_names(services) -> None:
    assert {"catalog", "events", "objects", "queues", "sessions", "event_store"} <= set(
        services.names()
    )
    with pytest.raises(KeyError):
        services.replace(nonsense=object())
