"""Password hashing (argon2id through argon2-cffi, parameters from the settings) and the
password rules (length, the shipped common-passwords list, not the user's own name)."""

from __future__ import annotations

from functools import lru_cache
from importlib.resources import files

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from viewra.common.errors import Unprocessable
from viewra.common.settings import Settings


@lru_cache(maxsize=8)
def hasher(time_cost: int, memory_kib: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(
        time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism, type=Type.ID
    )


class Passwords:
    """Hash, verify and check passwords with one deployment's argon2 parameters."""

    def __init__(self, settings: Settings) -> None:
        self._hasher = hasher(
            settings.auth_argon2_time_cost,
            settings.auth_argon2_memory_kib,
            settings.auth_argon2_parallelism,
        )
        self._min_length = settings.auth_password_min_length
        # verified when the user does not exist, so that answer takes as long as a wrong password
        self._dummy = self._hasher.hash("viewra: no such user, same work")

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, stored: str | None, password: str) -> bool:
        """True if ``password`` matches ``stored``; with ``stored`` None (no such user) a dummy
        hash is verified instead, the same work, and the answer is False."""
        try:
            ok = self._hasher.verify(stored or self._dummy, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
        return ok and stored is not None

    def needs_rehash(self, stored: str) -> bool:
        """The parameters changed since ``stored`` was made: rehash at the next login."""
        return self._hasher.check_needs_rehash(stored)

    def check_rules(self, password: str, user_id: str = "") -> None:
        """422 ``WeakPassword`` naming the rule a new password breaks."""
        if len(password) < self._min_length:
            raise Unprocessable(
                f"a password has at least {self._min_length} characters", code="WeakPassword"
            )
        lowered = password.lower()
        if lowered in common_passwords():
            raise Unprocessable("this password is on the list of common ones", code="WeakPassword")
        if user_id and user_id in lowered:
            raise Unprocessable("a password must not contain the user name", code="WeakPassword")
        if len(set(password)) < 4:
            raise Unprocessable(
                "a password needs more than 3 different characters", code="WeakPassword"
            )


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The shipped list (``data/accounts/common-passwords.txt``), lower-cased."""
    text = files("viewra").joinpath("data/accounts/common-passwords.txt").read_text("utf-8")
    return frozenset(
        line.strip().lower() for line in text.splitlines() if line.strip() and line[0] != "#"
    )
