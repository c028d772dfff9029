"""What the accounts service needs from storage and from the deployment's secrets, as
Protocols (the DynamoDB adapter is ``viewra.storage.accounts``; tests may pass any other)."""

from __future__ import annotations

from typing import Protocol

from viewra.accounts.models import ApiKey, RefreshRecord, User


class AccountStore(Protocol):
    # users
    def create_user(self, user: User) -> bool:
        """Store a new user; False if the id is taken (a conditional write)."""

    def get_user(self, user_id: str) -> User | None: ...
    def list_users(self) -> list[User]: ...
    def has_users(self) -> bool: ...
    def delete_user(self, user_id: str) -> bool: ...

    def set_password(
        self, user_id: str, password_hash: str, changed_at: str | None, replacing: str | None = None
    ) -> bool:
        """Replace the hash (``changed_at`` None: a rehash with new parameters, no change); with
        ``replacing``, only while the stored hash is that one. False if the condition failed."""

    def bump_epoch(self, user_id: str) -> int:
        """Add one to the user's epoch (atomically) and return the new value."""

    # library grants
    def grants(self, user_id: str) -> set[str]: ...
    def set_grants(self, user_id: str, library_ids: set[str]) -> None: ...

    # refresh tokens
    def put_refresh(self, record: RefreshRecord) -> None: ...
    def get_refresh(self, user_id: str, token_hash: str) -> RefreshRecord | None: ...

    def mark_refresh_used(self, user_id: str, token_hash: str, used_at: str) -> bool:
        """Set ``used_at`` if it is not set yet; False if it was (the token was rotated)."""

    def delete_refresh_tokens(self, user_id: str) -> int: ...

    # API keys
    def put_api_key(self, key: ApiKey) -> None: ...
    def get_api_key(self, user_id: str, key_id: str) -> ApiKey | None: ...
    def user_with_api_key(self, user_id: str, key_id: str) -> tuple[User | None, ApiKey | None]:
        """The user and that key of theirs, read together (either may be None)."""

    def list_api_keys(self, user_id: str) -> list[ApiKey]: ...
    def delete_api_key(self, user_id: str, key_id: str) -> bool: ...

    # failed-login throttling
    def failures(self, key: str, now: float) -> tuple[int, float]:
        """(failures in the current window, time of the last) for a throttle key."""

    def record_failure(self, key: str, now: float, window_seconds: int) -> int:
        """Count one failure (atomically); returns the count in the current window."""

    def clear_failures(self, key: str) -> None: ...


class SecretSource(Protocol):
    def get(self, name: str) -> str:
        """The secret's value (an SSM SecureString on AWS)."""
