"""The API's OpenAPI 3.1 document, generated from the same pydantic models the API validates
with, and from the same table of parameter shapes (:mod:`viewra.common.identifiers`) its request
checks use, so the description cannot drift from what the handlers accept and return. Each
operation lists every status it can answer: its own, and those every request can meet (a
malformed parameter, a body too big or not JSON, no credentials)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from pydantic import BaseModel, Field
from pydantic.json_schema import models_json_schema

from viewra import __version__
from viewra.accounts.access import ADMIN, HOOK, MEDIA, PUBLIC, USER
from viewra.accounts.models import (
    ApiKeyCreate,
    GrantChange,
    LoginRequest,
    PasswordChange,
    RefreshRequest,
    Tokens,
    UserCreate,
)
from viewra.common.event_feed import EventQuery
from viewra.common.identifiers import PATH_PARAMETERS
from viewra.media.models.catalogue import Library, LibraryCreate, LibraryUpdate, LibraryView
from viewra.media.models.items import MediaItem, OptimizedVersion
from viewra.media.models.listing import ItemQuery
from viewra.media.models.scans import Scan
from viewra.media.service import Queued, StoreDelivery
from viewra.playback.models.history import UserItemData
from viewra.playback.models.sessions import (
    PlaybackRequest,
    PlaybackSession,
    ProgressReport,
    StopReport,
)
from viewra.transcoding.models import BUILT_IN_PRESETS, Preset
from viewra.transcoding.service import (
    CacheEntry,
    EvictRequest,
    Job,
    RequestResult,
    TranscodeRequest,
)


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorResponse(BaseModel):
    error: ErrorDetail


class LibraryList(BaseModel):
    libraries: list[LibraryView]


class LibraryCreated(BaseModel):
    library: Library
    scan: Scan


class OptimizedVersionState(OptimizedVersion):
    status: str = Field(description="queued, running, ready, failed, cancelled or missing")
    progress: float | None = None
    error: str | None = None
    url: str = Field(description="the version's MP4 (a redirect to a presigned URL)")
    status_url: str


class ItemDetail(MediaItem):
    artwork_url: str | None = Field(default=None, description="presigned URL of the cover art")


class ItemWithVersions(ItemDetail):
    optimized_versions: list[OptimizedVersionState] = Field(  # type: ignore[assignment]
        default_factory=list, description="the library's presets made for this item, by state"
    )


class PresetList(BaseModel):
    presets: list[Preset]


class ItemDetailPage(BaseModel):
    """``GET /items``: a page of items, each with its presigned artwork URL, and the cursor."""

    items: list[ItemDetail]
    cursor: str | None = None


class QueueDepth(BaseModel):
    """One queue of the stack (SQS's approximate counts) and its dead-letter queue."""

    visible: int | None = Field(default=None, description="messages waiting")
    in_flight: int | None = Field(default=None, description="received, not yet deleted")
    delayed: int | None = None
    dead_letters: int | None = Field(
        default=None, description="messages in the dead-letter queue (failed past retries)"
    )
    dlq: str | None = Field(default=None, description="the dead-letter queue's name")
    error: str | None = Field(default=None, description="why the queue could not be read")


class Health(BaseModel):
    status: str
    checks: dict[str, str]
    queues: dict[str, QueueDepth] = Field(default_factory=dict)


class TranscodeAccepted(RequestResult):
    url: str


class CacheList(BaseModel):
    entries: list[CacheEntry]
    total_bytes: int
    budget_bytes: int


class ProviderRow(BaseModel):
    name: str
    available: bool
    reason: str | None = None


class ProviderList(BaseModel):
    providers: list[ProviderRow]


class ProfileSummary(BaseModel):
    name: str
    title: str | None = None


class ProfileList(BaseModel):
    profiles: list[ProfileSummary]


class SessionList(BaseModel):
    sessions: list[PlaybackSession]


class UserItemEntry(BaseModel):
    item: MediaItem
    user_data: UserItemData | None = None
    series_key: str | None = None


class UserItemList(BaseModel):
    items: list[UserItemEntry]


class UserView(BaseModel):
    id: str
    role: str
    created_at: str
    libraries: list[str] | None = None


class UserList(BaseModel):
    users: list[UserView]


class ApiKeyView(BaseModel):
    id: str
    name: str
    created_at: str


class ApiKeyCreated(ApiKeyView):
    key: str = Field(description="the key, shown this once (only its hash is kept)")


class ApiKeyList(BaseModel):
    api_keys: list[ApiKeyView]


class Grants(BaseModel):
    libraries: list[str]


class Evicted(BaseModel):
    h: str
    freed_bytes: int


class EvictedToBudget(BaseModel):
    evicted: list[str]
    budget_bytes: int


MODELS: tuple[type[BaseModel], ...] = (
    ErrorResponse,
    LoginRequest,
    RefreshRequest,
    Tokens,
    PasswordChange,
    UserCreate,
    UserView,
    UserList,
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyList,
    GrantChange,
    Grants,
    Library,
    LibraryCreate,
    LibraryUpdate,
    LibraryList,
    LibraryCreated,
    Scan,
    ItemDetailPage,
    ItemDetail,
    ItemWithVersions,
    Health,
    ProfileList,
    PlaybackRequest,
    PlaybackSession,
    SessionList,
    ProgressReport,
    StopReport,
    UserItemData,
    UserItemList,
    TranscodeRequest,
    TranscodeAccepted,
    Job,
    CacheList,
    PresetList,
    ProviderList,
    StoreDelivery,
    Queued,
    Evicted,
    EvictRequest,
    EvictedToBudget,
)

# (method, path, summary, request model, {status: response model or None})
ROUTES: tuple[
    tuple[str, str, str, type[BaseModel] | None, dict[int, type[BaseModel] | None]], ...
] = (
    (
        "get",
        "/health",
        "Reachability of buckets, tables and queues",
        None,
        {200: Health, 503: Health},
    ),
    ("get", "/openapi.json", "This document", None, {200: None}),
    (
        "get",
        "/metrics",
        "Counters and timings of every process, in Prometheus text format (docs/metrics.md)",
        None,
        {200: None},
    ),
    ("get", "/libraries", "List libraries", None, {200: LibraryList}),
    (
        "post",
        "/libraries",
        "Create a library and scan its prefix",
        LibraryCreate,
        {201: LibraryCreated, 400: ErrorResponse, 409: ErrorResponse, 422: ErrorResponse},
    ),
    ("get", "/libraries/{library_id}", "Get a library", None, {200: Library, 404: ErrorResponse}),
    (
        "patch",
        "/libraries/{library_id}",
        "Update a library",
        LibraryUpdate,
        {200: Library, 404: ErrorResponse, 409: ErrorResponse, 422: ErrorResponse},
    ),
    (
        "delete",
        "/libraries/{library_id}",
        "Delete a library",
        None,
        {204: None, 404: ErrorResponse},
    ),
    (
        "post",
        "/libraries/{library_id}/scan",
        "Rescan a library (fans out over the queue)",
        None,
        {202: Scan, 404: ErrorResponse},
    ),
    ("get", "/scans/{scan_id}", "Scan progress", None, {200: Scan, 404: ErrorResponse}),
    (
        "post",
        "/hooks/store-events",
        "Bucket notifications from a store that cannot send them to SQS (MinIO's webhook)",
        StoreDelivery,
        {202: Queued, 400: ErrorResponse, 401: ErrorResponse, 404: ErrorResponse},
    ),
    ("get", "/plugins", "Plugins and their config status", None, {200: None}),
    ("get", "/events", "Follow the event stream (cursor)", None, {200: None, 422: ErrorResponse}),
    (
        "get",
        "/items",
        "List, filter and search items (cursor pagination)",
        None,
        {200: ItemDetailPage, 400: ErrorResponse, 422: ErrorResponse},
    ),
    (
        "get",
        "/items/{item_id}",
        "An item with its streams, artwork URL and optimized versions",
        None,
        {200: ItemWithVersions, 404: ErrorResponse},
    ),
    ("get", "/profiles", "Built-in device profiles", None, {200: ProfileList}),
    (
        "get",
        "/items/{item_id}/subtitles/{name}",
        "A subtitle stream as a file, name <index>.vtt (or .srt/.ass/.ssa): a sidecar "
        "converted, an embedded text stream extracted by a transcode worker (the answer waits "
        "up to 20 s for it, then 409 SubtitleNotReady with Retry-After: ask again)",
        None,
        {200: None, 404: ErrorResponse, 409: ErrorResponse, 422: ErrorResponse},
    ),
    (
        "get",
        "/signed/{token}/items/{item_id}/subtitles/{name}",
        "The same for a <track> element, which sends no headers: a session's External "
        "subtitle URL (the media token in the path)",
        None,
        {200: None, 401: ErrorResponse, 404: ErrorResponse, 409: ErrorResponse, 422: ErrorResponse},
    ),
    (
        "post",
        "/items/{item_id}/playback",
        "Decide DirectPlay / DirectStream / Transcode for a device profile and open a session "
        "for the caller (a transcode's URL is signed with the caller's media token)",
        PlaybackRequest,
        {201: PlaybackSession, 404: ErrorResponse, 422: ErrorResponse},
    ),
    (
        "get",
        "/sessions",
        "Active playback sessions (not stopped, not stale)",
        None,
        {200: SessionList},
    ),
    (
        "get",
        "/sessions/{session_id}",
        "One session",
        None,
        {200: PlaybackSession, 404: ErrorResponse},
    ),
    (
        "post",
        "/sessions/{session_id}/progress",
        "Report position, pause and chosen streams (409 SessionStopped once it is stopped)",
        ProgressReport,
        {200: PlaybackSession, 404: ErrorResponse, 409: ErrorResponse, 422: ErrorResponse},
    ),
    (
        "post",
        "/sessions/{session_id}/stop",
        "Stop a session (idempotent)",
        StopReport,
        {200: PlaybackSession, 404: ErrorResponse, 409: ErrorResponse},
    ),
    (
        "get",
        "/users/{user_id}/resume",
        "Continue watching, newest first",
        None,
        {200: UserItemList},
    ),
    ("get", "/users/{user_id}/history", "Viewing history, newest first", None, {200: UserItemList}),
    (
        "get",
        "/users/{user_id}/next-up",
        "Next episode of each series in progress",
        None,
        {200: UserItemList},
    ),
    (
        "post",
        "/users/{user_id}/played/{item_id}",
        "Mark played",
        None,
        {200: UserItemData, 404: ErrorResponse},
    ),
    (
        "delete",
        "/users/{user_id}/played/{item_id}",
        "Mark unplayed",
        None,
        {200: UserItemData, 404: ErrorResponse},
    ),
    (
        "get",
        "/transcode/presets",
        "Optimized-version presets a library may name (optimized_versions)",
        None,
        {200: PresetList},
    ),
    (
        "get",
        "/transcode/providers",
        "Transcoding providers, available or not and why",
        None,
        {200: ProviderList},
    ),
    (
        "post",
        "/transcodes",
        "Pre-transcode an item (an optimized version); 200 when ready",
        TranscodeRequest,
        {200: TranscodeAccepted, 202: TranscodeAccepted, 404: ErrorResponse, 422: ErrorResponse},
    ),
    (
        "get",
        "/transcodes/{h}",
        "A job: status, progress, fps, speed, ETA",
        None,
        {200: Job, 404: ErrorResponse},
    ),
    (
        "delete",
        "/transcodes/{h}",
        "Cancel a job (ffmpeg stops within 2 s)",
        None,
        {200: Job, 404: ErrorResponse},
    ),
    (
        "get",
        "/transcodes/{h}/{name}",
        "master.m3u8 / media.m3u8 (segments presigned), or a 302 to video.mp4",
        None,
        {200: None, 302: None, 404: ErrorResponse},
    ),
    (
        "get",
        "/transcodes/{h}/segments/{name}",
        "A 302 to one segment (seg_NNNNN.ts) once it is up; for a fanned-out job, a segment "
        "not encoded yet moves its chunk ahead and the answer waits for it (up to 20 s, then "
        "409 SegmentNotReady: ask again)",
        None,
        {302: None, 404: ErrorResponse, 409: ErrorResponse},
    ),
    (
        "get",
        "/signed/{token}/transcodes/{h}/segments/{name}",
        "The same, for the holder of a media token",
        None,
        {302: None, 401: ErrorResponse, 404: ErrorResponse, 409: ErrorResponse},
    ),
    (
        "get",
        "/signed/{token}/transcodes/{h}",
        "A job's status for the holder of a media token (a session's status_url)",
        None,
        {200: Job, 401: ErrorResponse, 404: ErrorResponse},
    ),
    (
        "get",
        "/signed/{token}/transcodes/{h}/{name}",
        "The same playlists for a player that cannot send headers: the media token from the "
        "session or transcode answer is in the path",
        None,
        {200: None, 302: None, 401: ErrorResponse, 404: ErrorResponse},
    ),
    ("get", "/transcode/cache", "Transcoded content with sizes", None, {200: CacheList}),
    (
        "delete",
        "/transcode/cache/{h}",
        "Evict one hash",
        None,
        {200: Evicted, 409: ErrorResponse},
    ),
    (
        "post",
        "/transcode/cache/evict",
        "LRU eviction down to a byte budget (the configured one when absent)",
        EvictRequest,
        {200: EvictedToBudget},
    ),
    # accounts
    (
        "post",
        "/auth/login",
        "Log in: a short-lived access token and a refresh token",
        LoginRequest,
        {200: Tokens, 401: ErrorResponse, 422: ErrorResponse, 429: ErrorResponse},
    ),
    (
        "post",
        "/auth/refresh",
        "New tokens for a refresh token, which is used up (rotation)",
        RefreshRequest,
        {200: Tokens, 401: ErrorResponse},
    ),
    ("post", "/auth/logout", "Revoke every token of the caller", None, {204: None}),
    ("get", "/me", "The caller, and the libraries granted", None, {200: UserView}),
    (
        "post",
        "/me/password",
        "Change the password (every token is revoked)",
        PasswordChange,
        {204: None, 401: ErrorResponse, 422: ErrorResponse},
    ),
    ("get", "/me/api-keys", "The caller's API keys (never the keys)", None, {200: ApiKeyList}),
    (
        "post",
        "/me/api-keys",
        "Create an API key (shown once)",
        ApiKeyCreate,
        {201: ApiKeyCreated},
    ),
    ("delete", "/me/api-keys/{key_id}", "Revoke an API key", None, {204: None, 404: ErrorResponse}),
    ("get", "/me/resume", "The caller's continue watching", None, {200: UserItemList}),
    ("get", "/me/history", "The caller's viewing history", None, {200: UserItemList}),
    ("get", "/me/next-up", "The caller's next episodes", None, {200: UserItemList}),
    ("get", "/users", "Users (admins)", None, {200: UserList}),
    (
        "post",
        "/users",
        "Create a user (admins)",
        UserCreate,
        {201: UserView, 409: ErrorResponse, 422: ErrorResponse},
    ),
    ("get", "/users/{user_id}", "A user (admins)", None, {200: UserView, 404: ErrorResponse}),
    (
        "delete",
        "/users/{user_id}",
        "Delete a user and revoke its tokens and keys (admins; never the last one)",
        None,
        {204: None, 404: ErrorResponse, 409: ErrorResponse},
    ),
    ("get", "/users/{user_id}/libraries", "A user's library grants (admins)", None, {200: Grants}),
    (
        "put",
        "/users/{user_id}/libraries",
        "Set a user's library grants, all of them (admins)",
        GrantChange,
        {200: Grants, 404: ErrorResponse},
    ),
)

# How a client authenticates (components.securitySchemes): an access token from /auth/login,
# or an API key, both as ``Authorization: Bearer``; the store hook has its own token.
SECURITY_SCHEMES = {
    "bearerAuth": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "an access token from POST /auth/login (or /auth/refresh)",
    },
    "apiKeyAuth": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "vk.<user>.<id>.<secret>",
        "description": "an API key from POST /me/api-keys",
    },
    "storeHookToken": {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "VIEWRA_STORE_HOOK_TOKEN (the store hook only)",
    },
}


def _security(rule: str | None) -> list[dict[str, list[str]]] | None:
    """An operation's security: None (the document's default: a token or a key) for user and
    admin routes; none at all for public and media-token routes; the hook's own token."""
    if rule in (PUBLIC, MEDIA):
        return []
    if rule == HOOK:
        return [{"storeHookToken": []}]
    return None


# The query string of the routes that read one: the same models the views parse it with.
QUERY_MODELS: dict[str, type[BaseModel]] = {"/items": ItemQuery, "/events": EventQuery}
SERVER_SET = {"libraries"}  # fields of a query model the server fills in, never a client


def _query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    return [
        {"name": name, "in": "query", "required": False, "schema": _not_null(prop)}
        for name, prop in schema["properties"].items()
        if name not in SERVER_SET
    ]


# operations whose 200 is text, not JSON
TEXT_ANSWERS = {("get", "/metrics"): "text/plain; version=0.0.4"}


def _not_null(prop: dict[str, Any]) -> dict[str, Any]:
    """A query parameter is absent or a value, never JSON null: ``anyOf [X, null]`` → X."""
    options = [o for o in prop.get("anyOf", ()) if o.get("type") != "null"]
    if len(options) != 1:
        return prop
    rest = {k: v for k, v in prop.items() if k not in {"anyOf", "default"}}
    return {**rest, **options[0]}


def _path_parameters(path: str) -> list[dict[str, Any]]:
    return [
        {"name": name, "in": "path", "required": True, "schema": PATH_PARAMETERS[name].schema()}
        for name in (p.strip("{}") for p in path.split("/") if p.startswith("{"))
    ]


def _statuses(
    path: str, rule: str | None, request: type[BaseModel] | None, own: dict[int, Any]
) -> dict[int, type[BaseModel] | None]:
    """The route's own answers, and those any request to it can meet: 400 for a malformed path
    parameter or body, 413/415 for a body too big or not JSON, 422 for one that does not
    validate (or a bad query), 404 for an id nothing has, 401 without (valid) credentials, 403
    for a user on an admin route."""
    statuses: dict[int, type[BaseModel] | None] = dict(own)
    errors: set[int] = set()
    if "{" in path:
        errors |= {400, 404}
    if request is not None:
        errors |= {400, 413, 415, 422}
    if path in QUERY_MODELS:
        errors |= {400, 422}
    if rule in (USER, ADMIN, MEDIA, HOOK):
        errors.add(401)
    if rule == ADMIN:
        errors.add(403)
    for status in sorted(errors):
        statuses.setdefault(status, ErrorResponse)
    return statuses


def _operation_id(method: str, path: str) -> str:
    name = f"{method}_{path}".replace("/", "_").replace("{", "").replace("}", "")
    return name.replace(".", "_").strip("_")


def _json(ref: dict[str, str]) -> dict[str, Any]:
    return {"application/json": {"schema": ref}}


def _name_presets(schemas: dict[str, Any]) -> None:
    """A library's ``optimized_versions`` are built-in preset names, each once (what the API
    checks, else a 422): the media module's models name no transcoding presets, the document
    does, so a client (and a fuzzer) knows what is valid."""
    names = {"type": "string", "enum": sorted(BUILT_IN_PRESETS)}
    for model in ("LibraryCreate", "LibraryUpdate"):
        field = schemas.get(model, {}).get("properties", {}).get("optimized_versions")
        if field is None:
            continue
        for option in [field, *field.get("anyOf", ())]:
            if option.get("type") == "array":
                option["items"] = names
                option["uniqueItems"] = True


@lru_cache(maxsize=4)
def build_openapi(access: tuple[tuple[tuple[str, str], str], ...] = ()) -> dict[str, Any]:
    """The document; ``access`` is the api function's route rules ((path, METHOD) → rule), for
    each operation's security and its 401/403 answers."""
    rules = dict(access)
    requests = {r[3] for r in ROUTES if r[3] is not None}
    # request bodies are described as they are validated (defaults optional), answers as they
    # are written; a model used both ways gets two names
    keyed: list[tuple[type[BaseModel], Any]] = [
        (m, "validation") for m in sorted(requests, key=lambda m: m.__name__)
    ]
    keyed += [(m, "serialization") for m in MODELS if m not in requests]
    refs, defs = models_json_schema(keyed, ref_template="#/components/schemas/{model}")
    schemas = defs.get("$defs", {})
    for model in QUERY_MODELS.values():
        query_defs = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(query_defs.get("$defs", {}))

    def ref(model: type[BaseModel]) -> dict[str, str]:
        mode = "validation" if model in requests else "serialization"
        return refs[(model, mode)]

    paths: dict[str, Any] = {}
    for method, path, summary, request, own in ROUTES:
        op: dict[str, Any] = {
            "summary": summary,
            "operationId": _operation_id(method, path),
            "responses": {},
        }
        params = _path_parameters(path)
        if path in QUERY_MODELS:
            params += _query_parameters(QUERY_MODELS[path])
        if params:
            op["parameters"] = params
        rule = rules.get((path, method.upper()))
        security = _security(rule)
        if security is not None:
            op["security"] = security
        if request is not None:  # optional when every field is: no body is then {}
            required = any(f.is_required() for f in request.model_fields.values())
            op["requestBody"] = {"required": required, "content": _json(ref(request))}
        for status, model in sorted(_statuses(path, rule, request, own).items()):
            entry: dict[str, Any] = {"description": str(status)}
            if model is not None:
                entry["content"] = _json(ref(model))
            op["responses"][str(status)] = entry
        paths.setdefault(path, {})[method] = op
    _name_presets(schemas)
    for (method, path), media_type in TEXT_ANSWERS.items():
        if path in paths:
            ok = paths[path][method]["responses"]["200"]
            ok["content"] = {media_type: {"schema": {"type": "string"}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Viewra API", "version": __version__},
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": SECURITY_SCHEMES},
        "security": [{"bearerAuth": []}, {"apiKeyAuth": []}],
    }
