"""Reading the catalogue for clients: a page of items, one item with its artwork's URL.

Every listing is a Query on one of the catalogue's indexes (see the storage adapter), never a
Scan; an item's artwork is answered as a presigned URL of the content bucket.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING, Any

from viewra.common.errors import NotFound
from viewra.common.http_answers import to_jsonable
from viewra.media.models.items import ItemStatus, MediaItem
from viewra.media.models.listing import ItemQuery

if TYPE_CHECKING:
    from viewra.media.ports import MediaServices as Services


def list_items(
    services: Services, query: ItemQuery, libraries: Collection[str] | None = None
) -> dict[str, Any]:
    """A page of items, each with ``artwork_url``, and the cursor to go on from; ``libraries``
    (a user's grants) limits it to those libraries inside the index query, so paging holds."""
    page = services.catalog.query(query, libraries=libraries)
    return {"items": [_with_artwork(services, i) for i in page.items], "cursor": page.cursor}


def item_view(services: Services, item_id: str) -> dict[str, Any]:
    """One listed item as the API answers it, with ``artwork_url`` (None without artwork)."""
    item = services.catalog.get(item_id)
    if item is None or item.status is ItemStatus.REMOVED:
        raise NotFound(f"item {item_id!r} does not exist")
    return _with_artwork(services, item)


def _with_artwork(services: Services, item: MediaItem) -> dict[str, Any]:
    """An item's JSON with a presigned ``artwork_url`` (a local signature: no request made)."""
    body = to_jsonable(item)
    body["artwork_url"] = (
        services.objects.presign_get(services.settings.content_bucket, item.artwork_key)
        if item.artwork_key
        else None
    )
    return body
