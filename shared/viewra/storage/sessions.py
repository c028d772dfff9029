"""Playback sessions and per-user item data on DynamoDB; every listing is an index Query.

Active sessions carry ``active`` until stopped (a sparse index sorted by last report); user data
carries ``resume_at`` while a resume point exists (continue watching) and ``last_played``
(history), each the range key of a per-user index. User data keeps each field in its own
attribute, so a playback start is one UpdateItem without a read (:meth:`UserDataStore.touch`).

Concurrent requests for one session or one user's item are normal (a player's progress racing
its stop, two devices finishing the same film): a session write names the version it read, and
user data is written with atomic updates (``ADD`` for play counts, a condition on
``last_played`` so an older report never overwrites a newer one), never read-modify-write.
"""

from __future__ import annotations

import json
from typing import Any

from pynamodb.exceptions import PutError, UpdateError

from viewra.playback.models.history import PositionUpdate, UserItemData
from viewra.playback.models.sessions import PlaybackSession, SessionState
from viewra.storage.tables import Tables, conditional_failed


class SessionStore:
    def __init__(self, tables: Tables) -> None:
        self._model = tables.sessions

    def _record(self, session: PlaybackSession) -> Any:
        active = None if session.state is SessionState.STOPPED else "1"
        return self._model(
            session.id,
            user_id=session.user_id,
            active=active,
            last_seen=session.last_seen,
            version=session.version,
            doc=json.loads(session.model_dump_json()),
        )

    def put(self, session: PlaybackSession) -> None:
        """A new session (its id is fresh: an existing one is never overwritten)."""
        self._record(session).save(condition=self._model.id.does_not_exist())

    def replace(self, session: PlaybackSession, read_version: int) -> bool:
        """Write ``session`` (whose ``version`` is ``read_version + 1``) only if the stored one is
        still at ``read_version``; False if another write came first (read again, decide again)."""
        m = self._model
        condition = m.version == read_version
        if read_version == 0:  # sessions written before versions existed
            condition = condition | m.version.does_not_exist()
        try:
            self._record(session).save(condition=condition)
        except PutError as exc:
            if conditional_failed(exc):
                return False
            raise
        return True

    def get(self, session_id: str) -> PlaybackSession | None:
        try:
            record = self._model.get(session_id, consistent_read=True)
        except self._model.DoesNotExist:
            return None
        return PlaybackSession.model_validate(record.doc)

    def active_since(self, since: str, limit: int = 200) -> list[PlaybackSession]:
        """Sessions not stopped whose last report is at or after ``since``, newest first."""
        results = self._model.active_seen.query(
            "1",
            range_key_condition=self._model.last_seen >= since,
            scan_index_forward=False,
            limit=limit,
        )
        return [PlaybackSession.model_validate(r.doc) for r in results]


class UserDataStore:
    FIELDS = (
        "position",
        "played",
        "play_count",
        "duration",
        "kind",
        "series_key",
        "episode_order",
        "audio_stream_index",
        "subtitle_stream_index",
    )

    def __init__(self, tables: Tables) -> None:
        self._model = tables.userdata

    def _data(self, record: Any) -> UserItemData:
        """The record's fields; a record from before the per-field attributes has them in
        ``doc``, overlaid by any attribute a later :meth:`touch` wrote."""
        fields: dict[str, Any] = dict(record.doc or {})
        fields.update(user_id=record.user_id, item_id=record.item_id)
        for name in ("last_played", *self.FIELDS):
            value = getattr(record, name)
            if value is not None:
                fields[name] = value
        return UserItemData.model_validate(fields)

    def get(self, user_id: str, item_id: str) -> UserItemData:
        try:
            record = self._model.get(user_id, item_id, consistent_read=True)
        except self._model.DoesNotExist:
            return UserItemData(user_id=user_id, item_id=item_id)
        return self._data(record)

    def touch(self, user_id: str, item_id: str, facts: dict[str, Any], now: str) -> None:
        """A playback start: ``last_played`` is now and the item's facts are recorded, in one
        write that reads nothing. A resume point, if the item has one, moves to the front of
        continue watching with a second write (only then)."""
        m = self._model
        actions = [m.last_played.set(now)]
        actions += [
            getattr(m, name).set(value) for name, value in facts.items() if value is not None
        ]
        record = m(user_id, item_id)
        record.update(actions=actions)  # refreshes ``record`` from the written item
        if record.doc:
            self._migrate(record)
        if self._data(record).resumable:
            record.update(actions=[m.resume_at.set(now)])

    def _migrate(self, record: Any) -> None:
        """A record from before the per-field attributes: its fields move out of ``doc`` once,
        so the atomic updates (``ADD play_count``) start from its counts."""
        m = self._model
        data = self._data(record)
        values = {name: getattr(data, name) for name in self.FIELDS}
        actions = [getattr(m, k).set(v) for k, v in values.items() if v is not None]
        try:
            record.update(actions=[*actions, m.doc.remove()], condition=m.doc.exists())
        except UpdateError as exc:
            if not conditional_failed(exc):  # another start migrated it first
                raise

    def record_position(self, update: PositionUpdate) -> None:
        """A progress report or stop, in one UpdateItem that reads nothing: the position and
        played mark are set unless a newer report was already written; a play is counted by an
        atomic ADD whatever the order."""
        m = self._model
        u = update
        actions = [m.last_played.set(u.last_played), m.position.set(u.position)]
        if u.duration:
            actions.append(m.duration.set(u.duration))
        if u.played is not None:
            actions.append(m.played.set(u.played))
        if u.audio_stream_index is not None:
            actions.append(m.audio_stream_index.set(u.audio_stream_index))
        if u.subtitle_stream_index is not None:
            actions.append(m.subtitle_stream_index.set(u.subtitle_stream_index))
        resumable = u.position > 0 and u.played is False
        actions.append(m.resume_at.set(u.last_played) if resumable else m.resume_at.remove())
        if u.count_play:
            actions.append(m.play_count.add(1))
        newer_or_equal = m.last_played.does_not_exist() | (m.last_played <= u.last_played)
        try:
            m(u.user_id, u.item_id).update(actions=actions, condition=newer_or_equal)
        except UpdateError as exc:
            if not conditional_failed(exc):
                raise
            if u.count_play:  # a newer report wrote the position; the play still counts
                m(u.user_id, u.item_id).update(actions=[m.play_count.add(1), m.played.set(True)])

    def mark_played(
        self, user_id: str, item_id: str, played: bool, now: str, facts: dict[str, Any]
    ) -> UserItemData:
        """Mark played (one play counted unless it was already played: conditional ADD) or
        unplayed (the count kept); either way the resume point goes."""
        m = self._model
        actions = [m.position.set(0.0), m.resume_at.remove(), m.played.set(played)]
        actions += [getattr(m, k).set(v) for k, v in facts.items() if v is not None]
        record = m(user_id, item_id)
        if not played:
            record.update(actions=actions)
            return self._data(record)
        actions.append(m.last_played.set(now))
        not_played = m.played.does_not_exist() | (m.played == False)  # noqa: E712
        try:
            record.update(actions=[*actions, m.play_count.add(1)], condition=not_played)
        except UpdateError as exc:
            if not conditional_failed(exc):
                raise
            record.update(actions=actions)
        return self._data(record)

    def resume(self, user_id: str, limit: int = 50) -> list[UserItemData]:
        """Continue watching: items with a resume point, most recently played first."""
        results = self._model.user_resume.query(user_id, scan_index_forward=False, limit=limit)
        return [self._data(r) for r in results]

    def history(self, user_id: str, limit: int = 50) -> list[UserItemData]:
        """Everything played or started, most recent first."""
        results = self._model.user_history.query(user_id, scan_index_forward=False, limit=limit)
        return [self._data(r) for r in results]
