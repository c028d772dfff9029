"""Route rules and the per-object checks behind them: which libraries, items, sessions and
transcodes a principal may see. A thing the principal may not see is "not found", never
"forbidden": its existence is not told."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from viewra.accounts.models import Principal
from viewra.common.errors import NotFound
from viewra.media.models.catalogue import library_for_key

if TYPE_CHECKING:
    from viewra.media.models.items import MediaItem
    from viewra.playback.models.sessions import PlaybackSession

PUBLIC = "public"  # no credentials
USER = "user"  # any authenticated user (the view checks grants and ownership)
ADMIN = "admin"  # administrators only
HOOK = "hook"  # its own shared token (the store hook), not a user's
MEDIA = "media"  # a media token in the path (players that cannot send headers), checked by the view
RULES = (PUBLIC, USER, ADMIN, HOOK, MEDIA)
GATEWAY_OPEN = (PUBLIC, HOOK, MEDIA)  # routes the AWS authorizer does not guard


def library(principal: Principal, library_id: str) -> None:
    if not principal.can_see_library(library_id):
        raise NotFound(f"library {library_id!r} does not exist")


def item(principal: Principal, found: MediaItem | None, item_id: str) -> None:
    if found is None or not principal.can_see_library(found.library_id):
        raise NotFound(f"item {item_id!r} does not exist")


def user_data(principal: Principal, user_id: str) -> None:
    """Another user's resume points, history, played state: only for an admin."""
    if not principal.may_act_for(user_id):
        raise NotFound(f"user {user_id!r} does not exist")


def session(principal: Principal, found: PlaybackSession) -> None:
    if not principal.may_act_for(found.user_id):
        raise NotFound(f"session {found.id!r} does not exist")


def rows_with_items(principal: Principal, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Resume/history/next-up rows of items the principal may still see (a grant removed
    since takes them out)."""
    return [r for r in rows if principal.can_see_library(r["item"].get("library_id"))]


def transcode_source(principal: Principal, source: dict[str, Any] | None, libraries: Any) -> None:
    """A transcode job's output: for a user who may see the library its source is in."""
    if principal.is_admin:
        return
    key = (source or {}).get("key") or ""
    found = library_for_key(libraries, key) if key else None
    if found is None or not principal.can_see_library(found.id):
        raise NotFound("no such transcode")
