"""Playback sessions and per-user item data on DynamoDB; every listing is an index Query.

Active sessions carry ``active`` until stopped (a sparse index sorted by last report); user data
carries ``resume_at`` while a resume point exists (continue watching) and ``last_played``
(history), each the range key of a per-user index. User data keeps each field in its own
attribute, so a playback start is one UpdateItem without a read (:meth:`UserDataStore.touch`).
"""

from __future__ import annotations

import json
from typing import Any

from viewra.playback.models.history import UserItemData
from viewra.playback.models.sessions import PlaybackSession, SessionState
from viewra.storage.tables import Tables


class SessionStore:
    def __init__(self, tables: Tables) -> None:
        self._model = tables.sessions

    def put(self, session: PlaybackSession) -> None:
        active = None if session.state is SessionState.STOPPED else "1"
        self._model(
            session.id,
            user_id=session.user_id,
            active=active,
            last_seen=session.last_seen,
            doc=json.loads(session.model_dump_json()),
        ).save()

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
    FIELDS = ("position", "played", "play_count", "duration", "kind", "series_key", "episode_order")

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

    def put(self, data: UserItemData) -> None:
        self._model(
            data.user_id,
            data.item_id,
            resume_at=data.last_played if data.resumable and data.last_played else None,
            last_played=data.last_played,
            doc=None,
            **{name: getattr(data, name) for name in self.FIELDS},
        ).save()

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
        if self._data(record).resumable:
            record.update(actions=[m.resume_at.set(now)])

    def resume(self, user_id: str, limit: int = 50) -> list[UserItemData]:
        """Continue watching: items with a resume point, most recently played first."""
        results = self._model.user_resume.query(user_id, scan_index_forward=False, limit=limit)
        return [self._data(r) for r in results]

    def history(self, user_id: str, limit: int = 50) -> list[UserItemData]:
        """Everything played or started, most recent first."""
        results = self._model.user_history.query(user_id, scan_index_forward=False, limit=limit)
        return [self._data(r) for r in results]
