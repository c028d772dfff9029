"""Accounts on DynamoDB (the ``accounts`` table), behind ``viewra.accounts.ports``.

One partition per user (``user#<id>``) holds its profile (``profile``), its grants
(``grant#<library>``), its refresh tokens (``refresh#<hash>``, with a TTL) and API keys
(``apikey#<id>``): revoking every token of a user is one Query. Failed-login counters live in
``throttle#<user name or address>`` rows with a TTL. Every read-modify-write is one conditional or
atomic UpdateItem. The SSM parameter reader (the signing key on AWS) is here too: only storage
imports boto3.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

from pynamodb.exceptions import DeleteError, PutError, UpdateError

from viewra.accounts.models import ApiKey, RefreshRecord, User
from viewra.common.settings import Settings
from viewra.storage.clients import client
from viewra.storage.tables import Tables

PROFILE = "profile"
LISTED = "user"


def _user_pk(user_id: str) -> str:
    return f"user#{user_id}"


def _conditional(exc: Exception) -> bool:
    cause = getattr(exc, "cause_response_code", None)
    return cause == "ConditionalCheckFailedException"


def _ttl(epoch_seconds: float) -> datetime:
    return datetime.fromtimestamp(int(epoch_seconds), UTC)


class AccountStore:
    def __init__(self, tables: Tables) -> None:
        self._model = tables.accounts

    # -- users ------------------------------------------------------------------------------
    def _user(self, record: Any) -> User:
        doc = dict(record.doc)
        doc.update(
            epoch=int(record.epoch or 0),
            password_hash=record.secret,
            password_changed_at=record.changed_at,
        )
        return User.model_validate(doc)

    def create_user(self, user: User) -> bool:
        """The profile row; the hash, its date and the epoch are attributes of their own, so
        each changes in one UpdateItem that leaves the rest alone."""
        doc = json.loads(
            user.model_dump_json(exclude={"epoch", "password_hash", "password_changed_at"})
        )
        record = self._model(
            _user_pk(user.id),
            PROFILE,
            listed=LISTED,
            doc=doc,
            epoch=user.epoch,
            secret=user.password_hash,
            changed_at=user.password_changed_at,
        )
        try:
            record.save(condition=self._model.pk.does_not_exist())
        except PutError as exc:
            if _conditional(exc):
                return False
            raise
        return True

    def get_user(self, user_id: str) -> User | None:
        try:
            record = self._model.get(_user_pk(user_id), PROFILE, consistent_read=True)
        except self._model.DoesNotExist:
            return None
        return self._user(record)

    def list_users(self) -> list[User]:
        return [self._user(r) for r in self._model.users_by_id.query(LISTED)]

    def has_users(self) -> bool:
        return any(True for _ in self._model.users_by_id.query(LISTED, limit=1))

    def delete_user(self, user_id: str) -> bool:
        pk = _user_pk(user_id)
        with self._model.batch_write() as batch:
            for record in self._model.query(pk):
                batch.delete(record)
        return True

    def set_password(
        self, user_id: str, password_hash: str, changed_at: str | None, replacing: str | None = None
    ) -> bool:
        """Set the hash; with ``replacing``, only if the stored one is still that (a rehash at
        login must not undo a password change made meanwhile). False if the condition failed."""
        m = self._model
        actions = [m.secret.set(password_hash)]
        if changed_at is not None:
            actions.append(m.changed_at.set(changed_at))
        condition = m.pk.exists()
        if replacing is not None:
            condition = condition & (m.secret == replacing)
        try:
            m(_user_pk(user_id), PROFILE).update(actions=actions, condition=condition)
        except UpdateError as exc:
            if _conditional(exc):
                return False
            raise
        return True

    def bump_epoch(self, user_id: str) -> int:
        m = self._model
        record = m(_user_pk(user_id), PROFILE)
        try:
            record.update(actions=[m.epoch.add(1)], condition=m.pk.exists())
        except UpdateError as exc:
            if _conditional(exc):
                return 0
            raise
        return int(record.epoch or 0)

    # -- grants -----------------------------------------------------------------------------
    def grants(self, user_id: str) -> set[str]:
        m = self._model
        rows = m.query(_user_pk(user_id), m.sk.startswith("grant#"), consistent_read=True)
        return {r.sk.removeprefix("grant#") for r in rows}

    def set_grants(self, user_id: str, library_ids: set[str]) -> None:
        """The user's grants become ``library_ids``: rows added and removed one by one, each an
        idempotent put or delete (a concurrent change ends as one of the two sets)."""
        current = self.grants(user_id)
        pk = _user_pk(user_id)
        with self._model.batch_write() as batch:
            for library_id in library_ids - current:
                batch.save(self._model(pk, f"grant#{library_id}"))
            for library_id in current - library_ids:
                batch.delete(self._model(pk, f"grant#{library_id}"))

    # -- refresh tokens ---------------------------------------------------------------------
    def put_refresh(self, record: RefreshRecord) -> None:
        doc = json.loads(record.model_dump_json(exclude={"used_at"}))
        self._model(
            _user_pk(record.user_id),
            f"refresh#{record.token_hash}",
            doc=doc,
            expires=_ttl(record.expires),
        ).save()

    def get_refresh(self, user_id: str, token_hash: str) -> RefreshRecord | None:
        try:
            r = self._model.get(_user_pk(user_id), f"refresh#{token_hash}", consistent_read=True)
        except self._model.DoesNotExist:
            return None
        return RefreshRecord.model_validate({**r.doc, "used_at": r.used_at})

    def mark_refresh_used(self, user_id: str, token_hash: str, used_at: str) -> bool:
        m = self._model
        record = m(_user_pk(user_id), f"refresh#{token_hash}")
        try:
            record.update(
                actions=[m.used_at.set(used_at)],
                condition=m.pk.exists() & m.used_at.does_not_exist(),
            )
        except UpdateError as exc:
            if _conditional(exc):
                return False
            raise
        return True

    def delete_refresh_tokens(self, user_id: str) -> int:
        m = self._model
        rows = list(m.query(_user_pk(user_id), m.sk.startswith("refresh#")))
        with m.batch_write() as batch:
            for r in rows:
                batch.delete(r)
        return len(rows)

    # -- API keys ---------------------------------------------------------------------------
    def put_api_key(self, key: ApiKey) -> None:
        doc = json.loads(key.model_dump_json())
        self._model(_user_pk(key.user_id), f"apikey#{key.id}", doc=doc).save()

    def get_api_key(self, user_id: str, key_id: str) -> ApiKey | None:
        try:
            r = self._model.get(_user_pk(user_id), f"apikey#{key_id}", consistent_read=True)
        except self._model.DoesNotExist:
            return None
        return ApiKey.model_validate(r.doc)

    def user_with_api_key(self, user_id: str, key_id: str) -> tuple[User | None, ApiKey | None]:
        """A user and one of their API keys in one request (a BatchGetItem of two rows of the
        user's partition, strongly consistent): what every request with an API key reads."""
        pk = _user_pk(user_id)
        key_sk = f"apikey#{key_id}"
        user: User | None = None
        key: ApiKey | None = None
        for record in self._model.batch_get([(pk, PROFILE), (pk, key_sk)], consistent_read=True):
            if record.sk == PROFILE:
                user = self._user(record)
            elif record.sk == key_sk:
                key = ApiKey.model_validate(record.doc)
        return user, key

    def list_api_keys(self, user_id: str) -> list[ApiKey]:
        m = self._model
        rows = m.query(_user_pk(user_id), m.sk.startswith("apikey#"), consistent_read=True)
        return [ApiKey.model_validate(r.doc) for r in rows]

    def delete_api_key(self, user_id: str, key_id: str) -> bool:
        m = self._model
        try:
            m(_user_pk(user_id), f"apikey#{key_id}").delete(condition=m.pk.exists())
        except DeleteError as exc:
            if _conditional(exc):
                return False
            raise
        return True

    # -- failed-login throttling ------------------------------------------------------------
    def failures(self, key: str, now: float) -> tuple[int, float]:
        try:
            r = self._model.get(f"throttle#{key}", "throttle", consistent_read=True)
        except self._model.DoesNotExist:
            return 0, 0.0
        if r.expires is not None and r.expires.timestamp() <= now:  # TTL deletes lazily
            return 0, 0.0
        return int(r.failures or 0), float(r.last or 0)

    def record_failure(self, key: str, now: float, window_seconds: int) -> int:
        """One more failure in the current window (atomic ADD); a window that has passed starts
        again at one."""
        m = self._model
        record = m(f"throttle#{key}", "throttle")
        expires = _ttl(now + window_seconds)
        try:
            record.update(
                actions=[m.failures.add(1), m.last.set(now), m.expires.set(expires)],
                condition=m.expires > _ttl(now),
            )
        except UpdateError as exc:
            if not _conditional(exc):
                raise
            record.update(actions=[m.failures.set(1), m.last.set(now), m.expires.set(expires)])
        return int(record.failures or 0)

    def clear_failures(self, key: str) -> None:
        self._model(f"throttle#{key}", "throttle").delete()


class ParameterSecrets:
    """Secrets from SSM Parameter Store (SecureString, decrypted), read once per process."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._cache: dict[str, tuple[float, str]] = {}

    def get(self, name: str) -> str:
        hit = self._cache.get(name)
        if hit is not None:
            return hit[1]
        ssm = client(self._settings, "ssm")
        value = ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]
        self._cache[name] = (time.monotonic(), value)
        return value
