"""Concurrent requests for one session, item or user: the outcome is exact, never a lost update.

The playback service is called from many threads at once, as the API's concurrent invocations
call it, against moto with DynamoDB's atomic conditional writes (see ``moto_atomic``).
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from tests.functional.test_api_playback import add
from viewra.common.errors import Conflict
from viewra.playback import service as playback
from viewra.playback.models.sessions import (
    PlaybackRequest,
    ProgressReport,
    SessionState,
    StopReport,
)

DURATION = 1000.0  # what ``add`` gives every item


def _all_at_once(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run every call in its own thread, released together by a barrier."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], Any]) -> Any:
        barrier.wait()
        try:
            return call()
        except Conflict as exc:
            return exc

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def _start(services, item_id: str, user: str) -> str:
    return playback.start_playback(services, item_id, user, PlaybackRequest()).id


def test_a_stop_racing_progress_reports_is_final(services) -> None:
    # Given ten sessions, each getting four progress reports and one stop at the same moment
    add(services, "race1")
    sessions = [_start(services, "race1", f"user{n}") for n in range(10)]
    calls: list[Callable[[], Any]] = []
    for sid in sessions:
        calls.append(lambda s=sid: playback.stop_playback(services, s, StopReport(position=300)))
        for p in (100, 200, 400, 500):
            calls.append(
                lambda s=sid, p=p: playback.report_progress(services, s, ProgressReport(position=p))
            )
    random.Random(7).shuffle(calls)
    # When all fifty run at once
    outcomes = _all_at_once(calls)
    # Then every session is stopped, at the stop's position, and no report succeeded after it
    for sid in sessions:
        stored = services.sessions.get(sid)
        assert stored.state is SessionState.STOPPED
        assert stored.position == 300
    refused = [o for o in outcomes if isinstance(o, Conflict)]
    assert all(o.code == "SessionStopped" for o in refused)
    assert playback.active_sessions(services) == []
    # and each user's resume point is the stop's, not a report that lost the race
    for n in range(10):
        assert services.userdata.get(f"user{n}", "race1").position == 300


def test_twenty_concurrent_completions_count_twenty_plays(services) -> None:
    # Given one user with twenty sessions of one item (twenty devices)
    add(services, "race2")
    sessions = [_start(services, "race2", "dave") for _ in range(20)]
    # When each is stopped past 90 % at the same moment
    _all_at_once(
        [
            lambda s=sid: playback.stop_playback(services, s, StopReport(position=0.95 * DURATION))
            for sid in sessions
        ]
    )
    # Then every completed play is counted, and the item is played with no resume point
    data = services.userdata.get("dave", "race2")
    assert (data.play_count, data.played, data.position) == (20, True, 0.0)


def test_one_session_counts_one_play_however_many_reports_pass_the_threshold(services) -> None:
    add(services, "race3")
    sid = _start(services, "race3", "erin")
    _all_at_once(
        [
            lambda p=p: playback.report_progress(services, sid, ProgressReport(position=p))
            for p in (920.0, 940.0, 960.0, 980.0, 990.0, 995.0)
        ]
        + [lambda: playback.stop_playback(services, sid, StopReport(position=999.0))]
    )
    assert services.userdata.get("erin", "race3").play_count == 1
    assert services.sessions.get(sid).play_counted


def test_marking_played_from_two_clients_at_once_counts_one_play(services) -> None:
    add(services, "race4")
    _all_at_once([lambda: playback.set_played(services, "fay", "race4", True) for _ in range(8)])
    data = services.userdata.get("fay", "race4")
    assert (data.played, data.play_count) == (True, 1)


def test_an_older_report_never_overwrites_a_newer_position(services) -> None:
    """Writes carry their time: one that lands late (an older report) keeps the newer position."""
    from viewra.playback.models.history import position_update

    add(services, "race5")
    rules = playback._rules(services)
    newer = position_update("gus", "race5", 600.0, DURATION, rules, "2026-12-04T10:00:02.000Z",
                            count_play=False)  # fmt: skip
    older = position_update("gus", "race5", 200.0, DURATION, rules, "2026-12-04T10:00:01.000Z",
                            count_play=False)  # fmt: skip
    services.userdata.record_position(newer)
    services.userdata.record_position(older)
    assert services.userdata.get("gus", "race5").position == 600.0
