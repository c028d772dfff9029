"""PynamoDB models of Viewra's tables, built per :class:`Settings` (names and endpoint vary).

Listing never scans: items carry sparse index keys (``list_all``, ``list_lib``) that exist only
while the item is listed, and three sort keys (title, date added, year), giving six global secondary
indexes that every listing queries; six more are keyed by kind as well (``kind_all``: the kind,
``kind_lib``: library and kind), so a type filter reads only items of that type.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    ListAttribute,
    NumberAttribute,
    NumberSetAttribute,
    TTLAttribute,
    UnicodeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from viewra.common.settings import Settings
from viewra.storage.botocore_data import share_botocore_data

LISTED = "all"

# (index name, hash attribute, range attribute)
ITEM_INDEXES: tuple[tuple[str, str, str], ...] = (
    ("all-title", "list_all", "sort_title"),
    ("all-added", "list_all", "added_at"),
    ("all-year", "list_all", "year_sort"),
    ("lib-title", "list_lib", "sort_title"),
    ("lib-added", "list_lib", "added_at"),
    ("lib-year", "list_lib", "year_sort"),
    ("kind-title", "kind_all", "sort_title"),
    ("kind-added", "kind_all", "added_at"),
    ("kind-year", "kind_all", "year_sort"),
    ("libkind-title", "kind_lib", "sort_title"),
    ("libkind-added", "kind_lib", "added_at"),
    ("libkind-year", "kind_lib", "year_sort"),
)


def kind_key(library_id: str, kind: str) -> str:
    """The ``kind_lib`` index key of a library's items of one kind."""
    return f"{library_id}|{kind}"


NUMERIC_RANGES = frozenset({"year_sort", "episode_order"})

# Sparse indexes of the other tables, same shape.
SERIES_INDEX = ("series-episodes", "series_key", "episode_order")
SESSION_INDEX = ("active-seen", "active", "last_seen")
SEARCH_ITEM_INDEX = ("item-rows", "i", "r")  # an item's search rows, to replace them
USER_INDEXES = (("user-resume", "user_id", "resume_at"), ("user-history", "user_id", "last_played"))
ACCOUNT_INDEX = ("users-by-id", "listed", "pk")  # user profile rows only: listing users


def _index(name: str, hash_attr: str, range_attr: str) -> type[GlobalSecondaryIndex]:
    range_type = NumberAttribute if range_attr in NUMERIC_RANGES else UnicodeAttribute

    class Meta:
        index_name = name
        projection = AllProjection()

    attrs = {
        "Meta": Meta,
        hash_attr: UnicodeAttribute(hash_key=True),
        range_attr: range_type(range_key=True),
    }
    return type(f"Index_{name.replace('-', '_')}", (GlobalSecondaryIndex,), attrs)


def _meta(settings: Settings, table: str) -> type:
    share_botocore_data()  # PynamoDB opens a botocore session per model: let them share a loader

    class Meta:
        table_name = settings.table_name(table)
        region = settings.region
        host = settings.endpoint_for("dynamodb")
        billing_mode = "PAY_PER_REQUEST"
        max_retry_attempts = 5

    return Meta


JOBS_TABLE = "transcode-jobs"


@lru_cache(maxsize=16)
def jobs_model_for(settings: Settings) -> type[Model]:
    """The job table's model for one deployment (one record per content hash ``h``)."""

    attrs: dict[str, object] = {
        "Meta": _meta(settings, JOBS_TABLE),
        "h": UnicodeAttribute(hash_key=True),
        "status": UnicodeAttribute(),
        "params": JSONAttribute(),
        "source": JSONAttribute(),
        "hints": JSONAttribute(null=True),
        "provider": UnicodeAttribute(null=True),
        "progress": NumberAttribute(null=True),
        "fps": NumberAttribute(null=True),
        "speed": NumberAttribute(null=True),
        "eta": NumberAttribute(null=True),
        "out_time": NumberAttribute(null=True),
        "error": UnicodeAttribute(null=True),
        "cancel": NumberAttribute(default=0),
        "attempts": NumberAttribute(default=0),
        "worker": UnicodeAttribute(null=True),
        "created_at": UnicodeAttribute(),
        "updated_at": UnicodeAttribute(null=True),
        "started_at": UnicodeAttribute(null=True),
        "finished_at": UnicodeAttribute(null=True),
        "playable_at": UnicodeAttribute(null=True),  # first playlist listing a segment up (HLS)
        "accessed_at": UnicodeAttribute(null=True),
        # fan-out (viewra.transcoding.fanout): the chunk plan, and sets every worker ADDs to, so
        # a redelivered chunk or segment counts once
        "plan": JSONAttribute(null=True),
        "plan_id": UnicodeAttribute(
            null=True
        ),  # chunk messages carry it: a stale run's are dropped
        "chunks_started": NumberSetAttribute(null=True),
        "chunks_done": NumberSetAttribute(null=True),
        "chunks_bumped": NumberSetAttribute(null=True),  # moved ahead for a waiting player
        "segments": NumberSetAttribute(null=True),  # global numbers of the segments up
    }
    return type("TranscodeJobRecord", (Model,), attrs)  # type: ignore[return-value]


@dataclass(frozen=True)
class Tables:
    """The model classes bound to one deployment's table names and endpoint."""

    items: type[Model]
    libraries: type[Model]
    scans: type[Model]
    sessions: type[Model]
    userdata: type[Model]
    transcode_jobs: type[Model]
    events: type[Model]
    enrich_cache: type[Model]
    accounts: type[Model]
    search: type[Model]
    counts: type[Model]

    def all(self) -> tuple[type[Model], ...]:
        return (
            self.search,
            self.counts,
            self.items,
            self.libraries,
            self.scans,
            self.sessions,
            self.userdata,
            self.transcode_jobs,
            self.events,
            self.enrich_cache,
            self.accounts,
        )


@lru_cache(maxsize=16)
def tables_for(settings: Settings) -> Tables:
    item_attrs: dict[str, object] = {
        "Meta": _meta(settings, "items"),
        "id": UnicodeAttribute(hash_key=True),
        "library_id": UnicodeAttribute(),
        "list_all": UnicodeAttribute(null=True),
        "list_lib": UnicodeAttribute(null=True),
        "kind_all": UnicodeAttribute(null=True),  # the kind while listed (kind-* indexes)
        "kind_lib": UnicodeAttribute(null=True),  # kind_key(library, kind) while listed
        "sort_title": UnicodeAttribute(),
        "added_at": UnicodeAttribute(),
        "year_sort": NumberAttribute(),
        "status": UnicodeAttribute(),
        "kind": UnicodeAttribute(),
        "etag": UnicodeAttribute(),
        "event_order": UnicodeAttribute(),
        "event_seq": UnicodeAttribute(null=True),  # viewra.common.event_order's padded sequencer
        "genres": ListAttribute(of=UnicodeAttribute, null=True),
        "video_codec": UnicodeAttribute(null=True),
        "audio_codecs": ListAttribute(of=UnicodeAttribute, null=True),
        "resolution": UnicodeAttribute(null=True),
        "search": UnicodeAttribute(null=True),
        "series_key": UnicodeAttribute(null=True),
        "episode_order": NumberAttribute(null=True),
        "doc": JSONAttribute(),
    }
    for name, hash_attr, range_attr in (*ITEM_INDEXES, SERIES_INDEX):
        item_attrs[name.replace("-", "_")] = _index(name, hash_attr, range_attr)()
    items = type("ItemRecord", (Model,), item_attrs)

    libraries = type(
        "LibraryRecord",
        (Model,),
        {
            "Meta": _meta(settings, "libraries"),
            "pk": UnicodeAttribute(hash_key=True),
            "id": UnicodeAttribute(range_key=True),
            "doc": JSONAttribute(null=True),
            "n": NumberAttribute(null=True),  # the version row's counter (storage/libraries.py)
        },
    )
    scans = type(
        "ScanRecord",
        (Model,),
        {
            "Meta": _meta(settings, "scans"),
            "pk": UnicodeAttribute(hash_key=True),
            "sk": UnicodeAttribute(range_key=True),
            "library_id": UnicodeAttribute(null=True),
            "status": UnicodeAttribute(null=True),
            "total": NumberAttribute(default=0),
            "done": NumberAttribute(default=0),
            "skipped": NumberAttribute(default=0),
            "failed": NumberAttribute(default=0),
            "listing_done": NumberAttribute(default=0),
            "created_at": UnicodeAttribute(null=True),
            "completed_at": UnicodeAttribute(null=True),
            "outcome": UnicodeAttribute(null=True),
        },
    )
    sessions = type(
        "SessionRecord",
        (Model,),
        {
            "Meta": _meta(settings, "sessions"),
            "id": UnicodeAttribute(hash_key=True),
            "user_id": UnicodeAttribute(),
            "active": UnicodeAttribute(null=True),  # "1" until stopped: the sparse index key
            "last_seen": UnicodeAttribute(),
            "version": NumberAttribute(null=True),  # optimistic concurrency (see storage.sessions)
            "doc": JSONAttribute(),
            "active_seen": _index(*SESSION_INDEX)(),
        },
    )
    user_attrs: dict[str, object] = {
        "Meta": _meta(settings, "userdata"),
        "user_id": UnicodeAttribute(hash_key=True),
        "item_id": UnicodeAttribute(range_key=True),
        "resume_at": UnicodeAttribute(null=True),  # set while a resume point exists
        "last_played": UnicodeAttribute(null=True),
        # one attribute per field, so a playback start is one UpdateItem with no read
        "position": NumberAttribute(null=True),
        "played": BooleanAttribute(null=True),
        "play_count": NumberAttribute(null=True),
        "duration": NumberAttribute(null=True),
        "kind": UnicodeAttribute(null=True),
        "series_key": UnicodeAttribute(null=True),
        "episode_order": NumberAttribute(null=True),
        # the audio and subtitle streams last played (-1: subtitles off), chosen again on resume
        "audio_stream_index": NumberAttribute(null=True),
        "subtitle_stream_index": NumberAttribute(null=True),
        "doc": JSONAttribute(null=True),  # records written before the fields had attributes
    }
    for name, hash_attr, range_attr in USER_INDEXES:
        user_attrs[name.replace("-", "_")] = _index(name, hash_attr, range_attr)()
    userdata = type("UserDataRecord", (Model,), user_attrs)
    # users, their grants, refresh tokens and API keys (one partition per user) and the failed
    # login counters (one partition per user name or client address): viewra.storage.accounts
    accounts = type(
        "AccountRecord",
        (Model,),
        {
            "Meta": _meta(settings, "accounts"),
            "pk": UnicodeAttribute(hash_key=True),
            "sk": UnicodeAttribute(range_key=True),
            "listed": UnicodeAttribute(null=True),  # "user" on profile rows: the sparse index
            "doc": JSONAttribute(null=True),
            "epoch": NumberAttribute(null=True),
            "secret": UnicodeAttribute(null=True),  # a user's password hash
            "changed_at": UnicodeAttribute(null=True),  # ... and when it was last changed
            "used_at": UnicodeAttribute(null=True),
            "failures": NumberAttribute(null=True),
            "last": NumberAttribute(null=True),
            "expires": TTLAttribute(null=True),
            "users_by_id": _index(*ACCOUNT_INDEX)(),
        },
    )
    search = type(
        "SearchRow",
        (Model,),
        {
            "Meta": _meta(settings, "search"),
            # a token's first 3 characters, =title, &pair shards, +overflow, #genre
            "p": UnicodeAttribute(hash_key=True),
            "r": UnicodeAttribute(range_key=True),  # class, token, item id (media/models/search.py)
            "i": UnicodeAttribute(),  # the item
            "lib": UnicodeAttribute(),
            "kind": UnicodeAttribute(),
            "st": UnicodeAttribute(),
            "t": UnicodeAttribute(null=True),  # the normalised title
            "w1": UnicodeAttribute(null=True),  # title tokens
            "w2": UnicodeAttribute(null=True),  # other tokens
            "v": UnicodeAttribute(null=True),  # the item's event order the row reflects
            "y": NumberAttribute(null=True),  # the item's year (genre rows filter a range)
            "wp": UnicodeAttribute(null=True),  # paired tokens (items over search.PAIR_CAP)
            "item_rows": _index(*SEARCH_ITEM_INDEX)(),
        },
    )
    counts = type(
        "CountRecord",
        (Model,),
        {
            "Meta": _meta(settings, "counts"),
            "scope": UnicodeAttribute(hash_key=True),  # a library id, or "all"
            "name": UnicodeAttribute(range_key=True),  # "<kind>:<status>"
            "n": NumberAttribute(default=0),
        },
    )
    return Tables(
        search=search,  # type: ignore[arg-type]
        counts=counts,  # type: ignore[arg-type]
        items=items,
        libraries=libraries,
        scans=scans,  # type: ignore[arg-type]
        sessions=sessions,
        userdata=userdata,
        transcode_jobs=jobs_model_for(settings),
        events=type(
            "EventRecord",
            (Model,),
            {
                "Meta": _meta(settings, "events"),
                "stream": UnicodeAttribute(hash_key=True),  # one stream: "all"
                "cursor": UnicodeAttribute(range_key=True),  # time_id, the follower's position
                "doc": JSONAttribute(),
                "expires": TTLAttribute(null=True),
            },
        ),
        accounts=accounts,
        enrich_cache=type(
            "EnrichCacheRecord",
            (Model,),
            {
                "Meta": _meta(settings, "enrich-cache"),
                "cache_key": UnicodeAttribute(hash_key=True),  # service:sha256 of the request
                "value": JSONAttribute(),  # the service's answer, or the "not found" marker
                "expires": TTLAttribute(null=True),
            },
        ),
    )


def conditional_failed(exc: Exception) -> bool:
    """Whether a PynamoDB write failed its condition (the expected answer to a lost race)."""
    return getattr(exc, "cause_response_code", None) == "ConditionalCheckFailedException"
