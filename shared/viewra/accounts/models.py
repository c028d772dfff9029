"""The accounts' records and values: users, roles, grants, refresh tokens, API keys, the
authenticated principal. Plain pydantic/dataclasses; no I/O here."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

from pydantic import BaseModel, Field, field_validator

from viewra.common.identifiers import USER_ID, LibraryId

# A user's id is its name, lower-cased: it is what /users/{id}/... and the user data already key
# on. Letters, digits, dash, underscore: never the dots that separate a token's parts.
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


def normalise_name(name: str) -> str:
    return name.strip().lower()


class Role(StrEnum):
    ADMIN = "admin"
    USER = "user"


class User(BaseModel):
    """A stored user. ``epoch`` moves on logout and password change: every token issued before
    (access and refresh) carries the old one and stops working."""

    id: str
    role: Role = Role.USER
    password_hash: str
    epoch: int = 0
    created_at: str
    password_changed_at: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    def public(self) -> dict[str, object]:
        """What the API shows of a user (never the hash)."""
        return {"id": self.id, "role": self.role.value, "created_at": self.created_at}


class UserCreate(BaseModel):
    """``POST /users`` and ``viewra users create``."""

    name: str = Field(min_length=1, max_length=64, pattern=USER_ID.pattern)
    password: str = Field(min_length=1, max_length=1024)
    admin: bool = False

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        value = normalise_name(value)
        if not NAME_PATTERN.match(value):
            raise ValueError("letters, digits, '-' and '_' only, starting with a letter or digit")
        return value


class LoginRequest(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class RefreshRequest(BaseModel):
    refresh_token: str = Field(min_length=1, max_length=512)


class PasswordChange(BaseModel):
    current_password: str = Field(min_length=1, max_length=1024)
    new_password: str = Field(min_length=1, max_length=1024)


class ApiKeyCreate(BaseModel):
    name: str = Field(min_length=1, max_length=100)


class GrantChange(BaseModel):
    """``PUT /users/{id}/libraries``: the libraries a regular user may see, all of them."""

    libraries: list[LibraryId] = Field(max_length=1000)


class RefreshRecord(BaseModel):
    """A refresh token as stored: its hash, never the token. ``used_at`` is set when it is
    rotated; presenting it again after that is reuse (a stolen token) and revokes the user's."""

    user_id: str
    token_hash: str
    epoch: int
    created_at: str
    expires: int  # epoch seconds: the table's TTL attribute
    used_at: str | None = None


class ApiKey(BaseModel):
    """An API key as stored and listed: the hash of its secret, never the secret."""

    id: str
    user_id: str
    name: str
    secret_hash: str
    created_at: str
    last_used_at: str | None = None

    def public(self) -> dict[str, object]:
        return {"id": self.id, "name": self.name, "created_at": self.created_at}


class Tokens(BaseModel):
    """What a login or a refresh answers."""

    access_token: str
    token_type: str = "Bearer"
    expires_in: int
    refresh_token: str
    user: dict[str, object]


@dataclass(frozen=True)
class Principal:
    """Who a request is from (after :meth:`Accounts.authenticate`), and what it may see."""

    user_id: str
    role: Role
    via: str  # "token" or "api_key"
    libraries: frozenset[str] = field(default_factory=frozenset)  # grants (admins see all)

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    def can_see_library(self, library_id: str | None) -> bool:
        return self.is_admin or (library_id is not None and library_id in self.libraries)

    def may_act_for(self, user_id: str) -> bool:
        """Per-user data (resume, history, played, next up, sessions): its user or an admin."""
        return self.is_admin or user_id == self.user_id
