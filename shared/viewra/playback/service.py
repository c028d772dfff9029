"""Playback behind the API: decide, open a session, follow its progress, keep viewing history.

The api function calls this in process: a decision is pure and fast (well under a millisecond),
so a hop to the decide function would only add latency. The decide function exposes the same
``decide`` to other callers.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from viewra.common import metrics
from viewra.common.errors import BadRequest, Conflict, NotFound, Unprocessable, ViewraError
from viewra.common.events import SessionProgress, SessionStarted, SessionStopped, publish
from viewra.common.http_answers import validation_message
from viewra.common.parallel_calls import together
from viewra.common.timestamps import now_iso
from viewra.media.models.catalogue import episode_order, series_key
from viewra.media.models.items import ItemStatus, MediaItem, StreamType
from viewra.playback.decision import (
    Decision,
    DeviceProfile,
    NoCompatibleStreamError,
    PlaybackOptions,
    PlayMethod,
    ProfileError,
    TranscodeReason,
    UnknownProfileError,
    decide,
    get_profile,
    load_builtin_profiles,
    ordered_reasons,
    parse_profile,
    subtitle_tracks,
)
from viewra.playback.decision import SubtitleDeliveryMethod as Delivery
from viewra.playback.decision.subtitles import SubtitleTrack
from viewra.playback.models.history import (
    PositionUpdate,
    ResumeRules,
    UserItemData,
    position_update,
)
from viewra.playback.models.sessions import (
    DeliveryStatus,
    PlaybackRequest,
    PlaybackSession,
    ProgressReport,
    SessionState,
    StopReport,
)

if TYPE_CHECKING:
    from viewra.playback.ports import PlaybackServices as Services

DEFAULT_USER = "default"


def resolve_profile(spec: str | dict[str, Any]) -> DeviceProfile:
    """A built-in profile by name, or an inline Jellyfin DeviceProfile (422 with the bad path)."""
    if isinstance(spec, str):
        try:
            return get_profile(spec)
        except UnknownProfileError as exc:
            names = ", ".join(sorted(load_builtin_profiles()))
            raise Unprocessable(
                f"unknown profile {spec!r}; built-in: {names}", code="UnknownProfile"
            ) from exc
    try:
        return parse_profile(spec)
    except ProfileError as exc:
        detail = "; ".join(
            f"profile.{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors
        )
        raise Unprocessable(detail, code="InvalidProfile") from exc


def profiles() -> list[dict[str, Any]]:
    return [{"name": name, "title": p.name} for name, p in sorted(load_builtin_profiles().items())]


def _item(services: Services, item_id: str) -> MediaItem:
    item = services.catalog.get(item_id)
    if item is None or item.status is ItemStatus.REMOVED:
        raise NotFound(f"item {item_id!r} does not exist")
    if item.status is ItemStatus.FAILED:
        raise Unprocessable(
            f"item {item_id!r} is not playable: {item.failure_reason}", code="NotPlayable"
        )
    return item


def start_playback(
    services: Services, item_id: str, user_id: str, request: PlaybackRequest, base_url: str = ""
) -> PlaybackSession:
    """Decide, and open a session: DirectPlay gets a presigned URL of the original; DirectStream
    and Transcode get a job and the URL (under ``base_url``, the API's) of its output."""
    item = _item(services, item_id)
    profile = resolve_profile(request.profile)
    audio, subtitle = _streams_chosen(services, user_id, item, request)
    options = PlaybackOptions(
        max_streaming_bitrate=request.max_streaming_bitrate,
        audio_stream_index=audio,
        subtitle_stream_index=subtitle,
        allow_direct_play=request.allow_direct_play,
        allow_direct_stream=request.allow_direct_stream,
        start_position=request.start_position,
        # a transcode worker extracts an embedded text stream for its External URL (the api
        # function needs no ffmpeg): Jellyfin's CanExtractSubtitles
        allow_subtitle_extraction=request.allow_subtitle_extraction,
    )
    decision, version = _decide_with_versions(services, item, profile, options)
    metrics.count("decisions", method=decision.method.value)
    now = now_iso()
    session = PlaybackSession(
        id=uuid.uuid4().hex,
        user_id=user_id,
        item_id=item.id,
        position=request.start_position,
        audio_stream_index=decision.audio_stream_index,
        subtitle_stream_index=decision.subtitle_stream_index,
        method=decision.method.value,
        decision=decision.model_dump(mode="json"),
        status=DeliveryStatus.READY,
        started_at=now,
        last_seen=now,
        duration=item.duration,
        subtitles=_subtitles(item, profile, decision, options, base_url),
    )
    if version is not None:
        session.url = services.objects.presign_get(
            version.bucket, version.key, services.settings.player_url_seconds(version.duration)
        )
        session.transcode_id = version.etag  # the version's content address
        services.versions.played(version.etag)
    elif decision.method is PlayMethod.DIRECT_PLAY:
        session.url = services.objects.presign_get(
            item.bucket, item.key, services.settings.player_url_seconds(item.duration)
        )
    else:
        session = services.transcoder.request_for_session(item, decision, session, base_url)
    # Three independent writes at once. The event goes out beside the session write rather than
    # after it: if that write fails, the request fails and the client asks again.
    together(
        lambda: services.sessions.put(session),
        # history (last played) and the item's facts for resume, one write with no read
        lambda: services.userdata.touch(user_id, item.id, _item_facts(item), now),
        lambda: publish(services.events, SessionStarted(**_event_data(session))),
    )
    return session


def _streams_chosen(
    services: Services, user_id: str, item: MediaItem, request: PlaybackRequest
) -> tuple[int | None, int | None]:
    """The audio and subtitle streams to play: the request's, else the ones this user last
    played of this item (kept with the resume point), if the item still has them."""
    audio, subtitle = request.audio_stream_index, request.subtitle_stream_index
    kinds = {s.index: s.type for s in item.streams}
    audios = sum(kind is StreamType.AUDIO for kind in kinds.values())
    if (audio is not None and subtitle is not None) or (
        audios <= 1 and StreamType.SUBTITLE not in kinds.values()
    ):
        return audio, subtitle  # nothing to remember: the start stays a write with no read
    last = services.userdata.get(user_id, item.id)
    if audio is None and kinds.get(last.audio_stream_index) is StreamType.AUDIO:
        audio = last.audio_stream_index
    if subtitle is None and (
        last.subtitle_stream_index == -1
        or kinds.get(last.subtitle_stream_index) is StreamType.SUBTITLE
    ):
        subtitle = last.subtitle_stream_index
    return audio, subtitle


def _decide_with_versions(
    services: Services, item: MediaItem, profile: DeviceProfile, options: PlaybackOptions
) -> tuple[Decision, MediaItem | None]:
    """The engine's decision on the original; where that is not DirectPlay, a ready optimized
    version that direct-plays replaces it (with the version to play)."""
    failure: NoCompatibleStreamError | None = None
    try:
        decision: Decision | None = decide(item, profile, options)
    except NoCompatibleStreamError as exc:
        decision, failure = None, exc
    if decision is None or decision.method is not PlayMethod.DIRECT_PLAY:
        why = decision.reasons if decision is not None else failure.reasons if failure else ()
        found = _optimized_version(services, item, profile, options, decision, why)
        if found is not None:
            return found
    if decision is None:
        assert failure is not None
        metrics.count("decisions", method="NoCompatibleStream")
        reasons = ", ".join(r.value for r in failure.reasons) or "none"
        raise Unprocessable(f"{failure} (reasons: {reasons})", code="NoCompatibleStream")
    return decision, None


def _optimized_version(
    services: Services,
    item: MediaItem,
    profile: DeviceProfile,
    options: PlaybackOptions,
    decision: Decision | None,
    why: tuple[TranscodeReason, ...],
) -> tuple[Decision, MediaItem] | None:
    """A ready optimized version that direct-plays on the device, when the original would need
    a remux or a transcode (or could not play at all): the same engine decides on the version's
    own media facts. The best one wins (highest bitrate that passes, so the request's cap and
    the device's limits pick the size). A version carries one audio track and no subtitles, so
    it serves only a request that wants the track it was made from and no subtitle."""
    if not item.optimized_versions or not options.allow_direct_play:
        return None
    if options.subtitle_stream_index not in (None, -1):
        return None  # a subtitle asked for by name
    if decision is not None:
        if decision.subtitle_stream_index is not None:
            return None
        audio = decision.audio_stream_index
    else:
        audio = options.audio_stream_index
    candidates = [
        (version, media)
        for version, media in services.versions.ready(item)
        if audio is None or version.audio_stream_index == audio
    ]
    version_options = options.model_copy(
        update={"audio_stream_index": None, "subtitle_stream_index": -1}
    )
    for version, media in sorted(candidates, key=lambda c: -(c[1].bitrate or 0)):
        try:
            chosen = decide(media, profile, version_options)
        except NoCompatibleStreamError:
            continue
        if chosen.method is not PlayMethod.DIRECT_PLAY:
            continue
        return chosen.model_copy(
            update={
                "reasons": ordered_reasons({*why, TranscodeReason.OPTIMIZED_VERSION}),
                "optimized_version": version.preset,
                "audio_stream_index": version.audio_stream_index,
                "subtitle_stream_index": None,
                "subtitle_delivery": None,
                "subtitle_format": None,
            }
        ), media
    return None


# the file extension the subtitle route answers for a delivery format (names.canonical's)
_SUBTITLE_EXTENSIONS = {"vtt": "vtt", "srt": "srt", "ass": "ass", "ssa": "ssa"}


def _subtitles(
    item: MediaItem,
    profile: DeviceProfile,
    decision: Decision,
    options: PlaybackOptions,
    base_url: str,
) -> list[SubtitleTrack]:
    """Each subtitle stream's delivery under this decision; an External one gets the URL of
    ``GET /items/{id}/subtitles/{index}.{format}`` under ``base_url`` (the signed base)."""
    target = decision.target
    tracks = subtitle_tracks(
        item.subtitle_streams,
        profile.subtitle_profiles,
        decision.method,
        decision.container,
        target.protocol if target is not None else None,
        can_extract=options.allow_subtitle_extraction,
    )
    out = []
    for track in tracks:
        ext = _SUBTITLE_EXTENSIONS.get(track.format or "")
        if track.delivery is Delivery.EXTERNAL and ext:
            url = f"{base_url}/items/{item.id}/subtitles/{track.index}.{ext}"
            track = track.model_copy(update={"url": url})
        elif track.delivery is Delivery.EXTERNAL:  # a format we cannot serve: say so plainly
            track = track.model_copy(update={"delivery": Delivery.DROP})
        out.append(track)
    return out


def _item_facts(item: MediaItem) -> dict[str, Any]:
    key = series_key(item)
    return {
        "duration": item.duration,
        "kind": item.kind.value,
        "series_key": key,
        "episode_order": episode_order(item) if key else None,
    }


def get_session(services: Services, session_id: str) -> PlaybackSession:
    session = services.sessions.get(session_id)
    if session is None:
        raise NotFound(f"session {session_id!r} does not exist")
    return session


def _rules(services: Services) -> ResumeRules:
    s = services.settings
    return ResumeRules(min_percent=s.resume_min_percent, max_percent=s.resume_max_percent)


def _position_written(
    services: Services, session: PlaybackSession, position: float, now: str
) -> tuple[PlaybackSession, PositionUpdate]:
    """The session at ``position`` and the user-data write that goes with it (not yet made).

    Counting a play is decided here, against the session as read: the session write that
    follows is conditional on that read, so of two racing reports only one counts it."""
    duration = session.duration
    if duration is None:  # a session opened before sessions kept the item's duration
        duration = services.userdata.get(session.user_id, session.item_id).duration
    update = position_update(
        session.user_id,
        session.item_id,
        position,
        duration,
        _rules(services),
        now,
        count_play=not session.play_counted,
    )
    changed = session.model_copy(
        update={"position": position, "play_counted": session.play_counted or update.count_play}
    )
    return changed, update


def _change_session(
    services: Services,
    session_id: str,
    change: Callable[[PlaybackSession, str], tuple[PlaybackSession, PositionUpdate] | None],
) -> PlaybackSession:
    """Read, change, write only if nobody wrote in between; else read again and decide again.

    ``change`` answers None when there is nothing to write (a stop of a stopped session). The
    user data is written after the session write has won, so a lost race writes nothing."""
    for _ in range(_WRITE_ATTEMPTS):
        session = get_session(services, session_id)
        now = now_iso()
        outcome = change(session, now)
        if outcome is None:
            return session
        changed, update = outcome
        changed = changed.model_copy(update={"version": session.version + 1})
        update = replace(  # the streams played, chosen again at the next start (None: off)
            update,
            audio_stream_index=changed.audio_stream_index,
            subtitle_stream_index=_or_off(changed.subtitle_stream_index),
        )
        if services.sessions.replace(changed, session.version):
            together(
                lambda u=update: services.userdata.record_position(u),  # type: ignore[misc]
                lambda c=changed: publish(services.events, _session_event(c)),  # type: ignore[misc]
            )
            return changed
    raise Conflict(f"session {session_id!r} is changing too fast; try again", code="Busy")


_WRITE_ATTEMPTS = 20


def _or_off(subtitle: int | None) -> int:
    return -1 if subtitle is None else subtitle


def _session_event(session: PlaybackSession) -> Any:
    kind = SessionStopped if session.state is SessionState.STOPPED else SessionProgress
    return kind(**_event_data(session))


def report_progress(services: Services, session_id: str, report: ProgressReport) -> PlaybackSession:
    def change(session: PlaybackSession, now: str) -> tuple[PlaybackSession, PositionUpdate] | None:
        if session.state is SessionState.STOPPED:
            raise Conflict(f"session {session_id!r} is stopped", code="SessionStopped")
        session, update = _position_written(services, session, report.position, now)
        return session.model_copy(
            update={
                "state": SessionState.PAUSED if report.paused else SessionState.PLAYING,
                "last_seen": now,
                "audio_stream_index": report.audio_stream_index
                if report.audio_stream_index is not None
                else session.audio_stream_index,
                "subtitle_stream_index": report.subtitle_stream_index
                if report.subtitle_stream_index is not None
                else session.subtitle_stream_index,
            }
        ), update

    return _change_session(services, session_id, change)


def stop_playback(services: Services, session_id: str, report: StopReport) -> PlaybackSession:
    def change(session: PlaybackSession, now: str) -> tuple[PlaybackSession, PositionUpdate] | None:
        if session.state is SessionState.STOPPED:
            return None  # stopping twice is stopping once
        position = report.position if report.position is not None else session.position
        session, update = _position_written(services, session, position, now)
        return session.model_copy(
            update={"state": SessionState.STOPPED, "last_seen": now, "stopped_at": now}
        ), update

    return _change_session(services, session_id, change)


def active_sessions(services: Services) -> list[PlaybackSession]:
    stale = datetime.now(UTC) - timedelta(seconds=services.settings.session_stale_seconds)
    return services.sessions.active_since(stale.strftime("%Y-%m-%dT%H:%M:%S.000Z"))


def _event_data(session: PlaybackSession) -> dict[str, Any]:
    return {
        "session_id": session.id,
        "user_id": session.user_id,
        "item_id": session.item_id,
        "state": session.state.value,
        "position": session.position,
        "method": session.method,
        "status": session.status.value,
    }


# -- viewing history ------------------------------------------------------------------------
def _with_items(services: Services, rows: list[UserItemData]) -> list[dict[str, Any]]:
    out = []
    for row in rows:
        item = services.catalog.get(row.item_id)
        if item is None or item.status is not ItemStatus.READY:
            continue
        out.append({"item": item.model_dump(mode="json"), "user_data": row.model_dump(mode="json")})
    return out


def resume_list(services: Services, user_id: str) -> list[dict[str, Any]]:
    return _with_items(services, services.userdata.resume(user_id))


def history(services: Services, user_id: str) -> list[dict[str, Any]]:
    return _with_items(services, services.userdata.history(user_id))


def set_played(services: Services, user_id: str, item_id: str, played: bool) -> UserItemData:
    item = _item(services, item_id)
    return services.userdata.mark_played(user_id, item.id, played, now_iso(), _item_facts(item))


def next_up(services: Services, user_id: str, limit: int = 20) -> list[dict[str, Any]]:
    """For each series the user watched lately, the first unplayed episode after the last one.

    Series are ordered by when they were last watched; within a series the reference is the
    furthest episode watched (played or in progress), as Jellyfin's next-up does.
    """
    furthest: dict[str, UserItemData] = {}
    order: list[str] = []
    for row in services.userdata.history(user_id, limit=200):
        if not row.series_key or row.episode_order is None:
            continue
        if row.series_key not in furthest:
            order.append(row.series_key)
        best = furthest.get(row.series_key)
        if best is None or (row.episode_order or 0) > (best.episode_order or 0):
            furthest[row.series_key] = row
    out: list[dict[str, Any]] = []
    for key in order:
        ref = furthest[key]
        candidates = services.catalog.episodes_after(key, ref.episode_order or 0, limit=25)
        if ref.resumable:  # still watching it: that episode is "up next"
            current = services.catalog.get(ref.item_id)
            candidates = [current, *candidates] if current else candidates
        for episode in candidates:
            if episode.status is not ItemStatus.READY:
                continue
            if services.userdata.get(user_id, episode.id).played:
                continue
            out.append({"item": episode.model_dump(mode="json"), "series_key": key})
            break
        if len(out) >= limit:
            break
    return out


# -- the decide function: an event in, a decision (or the API's error shape) out ----------
def decide_event(services: Callable[[], Any], event: dict[str, Any]) -> dict[str, Any]:
    """Decide for an inline item, or for one from the catalogue by ``item_id``."""
    try:
        if "item" in event:
            item = MediaItem.model_validate(event["item"])
        elif "item_id" in event:
            found = services().catalog.get(str(event["item_id"]))
            if found is None:
                raise NotFound(f"item {event['item_id']!r} does not exist")
            item = found
        else:
            raise BadRequest("give 'item' or 'item_id'")
        profile = resolve_profile(event.get("profile", "chrome"))
        options = PlaybackOptions.model_validate(event.get("options") or {})
        decision = decide(item, profile, options)
        metrics.count("decisions", method=decision.method.value)
        return {"decision": decision.model_dump(mode="json")}
    except ValidationError as exc:
        return {"error": {"code": "ValidationError", "message": validation_message(exc)}}
    except NoCompatibleStreamError as exc:
        return {
            "error": {
                "code": "NoCompatibleStream",
                "message": str(exc),
                "reasons": [r.value for r in exc.reasons],
            }
        }
    except ViewraError as exc:
        return exc.to_dict()
