"""Playback sessions and per-user item data on DynamoDB; every listing is an index Query.

Active sessions carry ``active`` until stopped (a sparse index sorted by last report); user data
carries ``resume_at`` while a resume point exists (continue watching) and ``last_played``
(history), each the range key of a per-user index.
"""

from __future__ import annotations

import json

from viewra.history import UserItemData
from viewra.sessions import PlaybackSession, SessionState
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
    def __init__(self, tables: Tables) -> None:
        self._model = tables.userdata

    def get(self, user_id: str, item_id: str) -> UserItemData:
        try:
            record = self._model.get(user_id, item_id, consistent_read=True)
        except self._model.DoesNotExist:
            return UserItemData(user_id=user_id, item_id=item_id)
        return UserItemData.model_validate(record.doc)

    def put(self, data: UserItemData) -> None:
        self._model(
            data.user_id,
            data.item_id,
            resume_at=data.last_played if data.resumable and data.last_played else None,
            last_played=data.last_played,
            doc=json.loads(data.model_dump_json()),
        ).save()

    def resume(self, user_id: str, limit: int = 50) -> list[UserItemData]:
        """Continue watching: items with a resume point, most recently played first."""
        results = self._model.user_resume.query(user_id, scan_index_forward=False, limit=limit)
        return [UserItemData.model_validate(r.doc) for r in results]

    def history(self, user_id: str, limit: int = 50) -> list[UserItemData]:
        """Everything played or started, most recent first."""
        results = self._model.user_history.query(user_id, scan_index_forward=False, limit=limit)
        return [UserItemData.model_validate(r.doc) for r in results]
