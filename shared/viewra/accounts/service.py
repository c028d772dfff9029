"""The accounts module's face: create users, log in, refresh (rotated, reuse detected), log out,
change passwords, API keys, library grants, and :meth:`Accounts.authenticate`, the check every
API request passes (in the api function, and on AWS in its Chalice authorizer too).

Storage and the clock come in through the constructor (:mod:`.ports`); no boto3 here.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from viewra.accounts.models import (
    ApiKey,
    Principal,
    RefreshRecord,
    Role,
    Tokens,
    User,
    UserCreate,
    normalise_name,
)
from viewra.accounts.passwords import Passwords
from viewra.accounts.ports import AccountStore
from viewra.accounts.tokens import (
    AccessTokens,
    new_api_key,
    new_refresh_token,
    parse_api_key,
    parse_refresh_token,
    same_hash,
    secret_hash,
)
from viewra.common.errors import Conflict, NotFound, TooManyRequests, Unauthorized
from viewra.common.events import (
    ApiKeyCreated,
    ApiKeyRevoked,
    GrantsChanged,
    LoginFailed,
    PasswordChanged,
    Publisher,
    RefreshTokenReused,
    UserCreated,
    UserDeleted,
    UserLoggedIn,
    UserLoggedOut,
    publish,
)
from viewra.common.settings import Settings

# A rotated refresh token presented again within this many seconds is a client racing itself
# (two tabs refreshing at once): refused, nothing revoked. Later, it is a replay: everything of
# that user is revoked.
REUSE_GRACE_SECONDS = 10
BAD_CREDENTIALS = "wrong user name or password"
_DUMMY_HASH = secret_hash("viewra: no such key")


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")[:-4] + "Z"


def _parse_iso(value: str) -> float:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC).timestamp()


def credentials_of(headers: Mapping[str, str] | None) -> tuple[str, str] | None:
    """("bearer", token) from ``Authorization: Bearer``, ("api_key", key) from ``X-Api-Key``
    (or a key sent as a bearer token), else None."""
    lowered = {k.lower(): v for k, v in (headers or {}).items()}
    key = (lowered.get("x-api-key") or "").strip()
    if key:
        return "api_key", key
    auth = (lowered.get("authorization") or "").strip()
    scheme, _, value = auth.partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not value:
        return None
    return ("api_key", value) if value.startswith("vk.") else ("bearer", value)


class Accounts:
    def __init__(
        self,
        settings: Settings,
        store: AccountStore,
        events: Publisher,
        signing_key: str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.store = store
        self.events = events
        self.passwords = Passwords(settings)
        self.tokens = AccessTokens(
            signing_key,
            settings.auth_issuer,
            settings.auth_audience,
            settings.auth_access_ttl_seconds,
        )
        self.clock = clock

    # -- users ------------------------------------------------------------------------------
    def create_user(self, request: UserCreate, by: str | None = None) -> User:
        self.passwords.check_rules(request.password, request.name)
        user = User(
            id=request.name,
            role=Role.ADMIN if request.admin else Role.USER,
            password_hash=self.passwords.hash(request.password),
            created_at=_iso(self.clock()),
        )
        if not self.store.create_user(user):
            raise Conflict(f"user {user.id!r} exists", code="UserExists")
        publish(self.events, UserCreated(user_id=user.id, role=user.role.value, by=by))
        return user

    def get_user(self, user_id: str) -> User:
        user = self.store.get_user(normalise_name(user_id))
        if user is None:
            raise NotFound(f"user {user_id!r} does not exist")
        return user

    def list_users(self) -> list[User]:
        return self.store.list_users()

    def has_users(self) -> bool:
        return self.store.has_users()

    def delete_user(self, user_id: str, by: str) -> None:
        user = self.get_user(user_id)
        if user.is_admin and not any(u.is_admin and u.id != user.id for u in self.list_users()):
            raise Conflict("the last administrator cannot be deleted", code="LastAdmin")
        self.store.bump_epoch(user.id)  # its live access tokens die with it
        self.store.delete_refresh_tokens(user.id)
        for key in self.store.list_api_keys(user.id):
            self.store.delete_api_key(user.id, key.id)
        self.store.delete_user(user.id)
        publish(self.events, UserDeleted(user_id=user.id, by=by))

    # -- login, refresh, logout -------------------------------------------------------------
    def _throttle_keys(self, username: str, client: str) -> list[str]:
        return [f"user#{username}", f"addr#{client or 'unknown'}"]

    def _check_throttle(self, keys: list[str], now: float) -> None:
        s = self.settings
        wait = 0.0
        for key in keys:
            failures, last = self.store.failures(key, now)
            over = failures - s.auth_throttle_free_attempts  # the first ones cost nothing
            if over > 0:
                delay = s.auth_throttle_base_seconds * 2 ** min(over - 1, 30)
                delay = min(delay, s.auth_throttle_max_seconds)
                wait = max(wait, last + delay - now)
        if wait > 0:
            raise TooManyRequests(
                "too many failed logins: try again later",
                retry_after=wait,
                code="TooManyAttempts",
            )

    def login(self, username: str, password: str, client: str = "") -> Tokens:
        """Tokens for the right password; the same 401 (after the same argon2 work) for a wrong
        password or a user that does not exist; 429 while the user or the address is throttled."""
        name = normalise_name(username)
        now = self.clock()
        keys = self._throttle_keys(name, client)
        try:
            self._check_throttle(keys, now)
        except TooManyRequests:
            publish(self.events, LoginFailed(username=name, client=client, reason="throttled"))
            raise
        user = self.store.get_user(name)
        ok = self.passwords.verify(user.password_hash if user else None, password)
        if not ok or user is None:
            window = self.settings.auth_throttle_window_seconds
            for key in keys:
                self.store.record_failure(key, now, window)
            publish(self.events, LoginFailed(username=name, client=client, reason="credentials"))
            raise Unauthorized(BAD_CREDENTIALS, code="InvalidCredentials")
        self.store.clear_failures(keys[0])
        if self.passwords.needs_rehash(user.password_hash):
            rehashed = self.passwords.hash(password)
            self.store.set_password(user.id, rehashed, None, replacing=user.password_hash)
        publish(self.events, UserLoggedIn(user_id=user.id, client=client))
        return self._issue(user, now)

    def _issue(self, user: User, now: float) -> Tokens:
        token, token_hash = new_refresh_token(user.id)
        ttl = self.settings.auth_refresh_ttl_seconds
        self.store.put_refresh(
            RefreshRecord(
                user_id=user.id,
                token_hash=token_hash,
                epoch=user.epoch,
                created_at=_iso(now),
                expires=int(now) + ttl,
            )
        )
        return Tokens(
            access_token=self.tokens.issue(user.id, user.role, user.epoch, now),
            expires_in=self.tokens.ttl_seconds,
            refresh_token=token,
            user=user.public(),
        )

    def refresh(self, refresh_token: str) -> Tokens:
        """New tokens for a live refresh token, which is used up (rotation). Exactly one of two
        concurrent refreshes of one token wins (a conditional write); a token presented again
        later is a replay and revokes every token of its user."""
        user_id, token_hash = parse_refresh_token(refresh_token)
        now = self.clock()
        record = self.store.get_refresh(user_id, token_hash)
        user = self.store.get_user(user_id)
        if record is None or user is None or record.expires <= now or record.epoch != user.epoch:
            raise Unauthorized("the refresh token is not valid", code="InvalidToken")
        if record.used_at is None and self.store.mark_refresh_used(user_id, token_hash, _iso(now)):
            return self._issue(user, now)
        used = self.store.get_refresh(user_id, token_hash)
        used_at = _parse_iso(used.used_at) if used and used.used_at else now
        if now - used_at > REUSE_GRACE_SECONDS:
            self._revoke(user.id)
            publish(self.events, RefreshTokenReused(user_id=user.id))
        raise Unauthorized("the refresh token was already used", code="TokenReused")

    def _revoke(self, user_id: str) -> None:
        """Every refresh token and every access token issued so far stops working."""
        self.store.bump_epoch(user_id)
        self.store.delete_refresh_tokens(user_id)

    def logout(self, principal: Principal) -> None:
        self._revoke(principal.user_id)
        publish(self.events, UserLoggedOut(user_id=principal.user_id))

    def change_password(self, principal: Principal, current: str, new: str) -> None:
        user = self.get_user(principal.user_id)
        if not self.passwords.verify(user.password_hash, current):
            raise Unauthorized("the current password is wrong", code="InvalidCredentials")
        self.passwords.check_rules(new, user.id)
        self.store.set_password(user.id, self.passwords.hash(new), _iso(self.clock()))
        self._revoke(user.id)
        publish(self.events, PasswordChanged(user_id=user.id))

    # -- API keys ---------------------------------------------------------------------------
    def create_api_key(self, principal: Principal, name: str) -> dict[str, object]:
        """The key, shown this once (only its hash is kept)."""
        key, key_id, key_hash = new_api_key(principal.user_id)
        record = ApiKey(
            id=key_id,
            user_id=principal.user_id,
            name=name,
            secret_hash=key_hash,
            created_at=_iso(self.clock()),
        )
        self.store.put_api_key(record)
        publish(self.events, ApiKeyCreated(user_id=record.user_id, key_id=key_id, name=name))
        return {**record.public(), "key": key}

    def list_api_keys(self, principal: Principal) -> list[dict[str, object]]:
        return [k.public() for k in self.store.list_api_keys(principal.user_id)]

    def revoke_api_key(self, principal: Principal, key_id: str) -> None:
        if not self.store.delete_api_key(principal.user_id, key_id):
            raise NotFound(f"API key {key_id!r} does not exist")
        publish(self.events, ApiKeyRevoked(user_id=principal.user_id, key_id=key_id))

    # -- grants -----------------------------------------------------------------------------
    def set_grants(self, user_id: str, library_ids: list[str], by: str) -> list[str]:
        user = self.get_user(user_id)
        self.store.set_grants(user.id, set(library_ids))
        granted = sorted(set(library_ids))
        publish(self.events, GrantsChanged(user_id=user.id, libraries=granted, by=by))
        return granted

    def grants(self, user_id: str) -> list[str]:
        return sorted(self.store.grants(self.get_user(user_id).id))

    # -- the check every request passes -----------------------------------------------------
    def authenticate(self, headers: Mapping[str, str] | None) -> Principal:
        """The principal of a request's credentials; 401 (our JSON error) for none, or for an
        expired, tampered, revoked or foreign token, or an unknown or revoked API key. The role
        and grants are the stored ones, so a change applies to live tokens at once."""
        found = credentials_of(headers)
        if found is None:
            raise Unauthorized("authentication required: a bearer token or an API key")
        kind, value = found
        if kind == "bearer":
            claims = self.tokens.check(value)
            user = self.store.get_user(claims.user_id)
            if user is None or user.epoch != claims.epoch:
                raise Unauthorized("the access token was revoked", code="TokenRevoked")
            return self._principal(user, "token")
        parsed = parse_api_key(value)
        user, key = self.store.user_with_api_key(parsed[0], parsed[1]) if parsed else (None, None)
        # compared in constant time, and compared even when there is no such key
        matches = same_hash(key.secret_hash if key else _DUMMY_HASH, parsed[2] if parsed else "")
        if key is None or not matches:
            raise Unauthorized("the API key is not valid", code="InvalidApiKey")
        if user is None or user.id != key.user_id:
            raise Unauthorized("the API key is not valid", code="InvalidApiKey")
        return self._principal(user, "api_key")

    def media_token(self, principal: Principal, ttl_seconds: int) -> str:
        """A token for the URLs of a playback (playlists a player fetches without headers):
        signed, this user's, of kind "media", living ``ttl_seconds``."""
        user = self.get_user(principal.user_id)
        return self.tokens.issue(
            user.id, user.role, user.epoch, self.clock(), kind="media", ttl_seconds=ttl_seconds
        )

    def authenticate_media(self, token: str) -> Principal:
        """The principal of a media token (401 if expired, foreign, revoked or of another kind)."""
        claims = self.tokens.check(token, kind="media")
        user = self.store.get_user(claims.user_id)
        if user is None or user.epoch != claims.epoch:
            raise Unauthorized("the media token was revoked", code="TokenRevoked")
        return self._principal(user, "media")

    def _principal(self, user: User, via: str) -> Principal:
        libraries = frozenset() if user.is_admin else frozenset(self.store.grants(user.id))
        return Principal(user_id=user.id, role=user.role, via=via, libraries=libraries)


def signing_key(settings: Settings, secrets_source: object | None = None) -> str:
    """The deployment's key: the setting, else the SSM parameter it names, else a random key for
    this process (tokens then die with it: fine for one local process, never for AWS)."""
    if settings.auth_signing_key:
        return settings.auth_signing_key
    if settings.auth_signing_key_parameter and secrets_source is not None:
        return secrets_source.get(settings.auth_signing_key_parameter)  # type: ignore[attr-defined]
    return secrets.token_urlsafe(48)
