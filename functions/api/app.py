"""The HTTP API (behind API Gateway): each route parses, calls the core, shapes the answer."""

from __future__ import annotations

import uuid
from contextvars import ContextVar
from typing import Any

from chalice import AuthResponse, Chalice, CORSConfig, Response

from viewra.accounts import access
from viewra.accounts.access import ADMIN, HOOK, MEDIA, PUBLIC, USER
from viewra.accounts.models import (
    ApiKeyCreate,
    GrantChange,
    LoginRequest,
    PasswordChange,
    Principal,
    RefreshRequest,
    UserCreate,
)
from viewra.api import request_checks
from viewra.api.health import check_health
from viewra.api.openapi import build_openapi
from viewra.bootstrap import get_services
from viewra.common import event_feed as feed
from viewra.common import metrics
from viewra.common.errors import Forbidden, Unauthorized
from viewra.common.event_feed import EventQuery
from viewra.common.http_answers import (
    JSON_HEADERS,
    framework_error_body,
    guarded,
    parse_body,
    parse_json,
    parse_model,
    to_jsonable,
)
from viewra.common.logs import logger
from viewra.common.settings import get_settings
from viewra.media import service as media
from viewra.media.models.catalogue import LibraryCreate, LibraryUpdate
from viewra.media.models.listing import ItemQuery
from viewra.playback import service as playback
from viewra.playback.models.sessions import PlaybackRequest, ProgressReport, StopReport
from viewra.plugins.registry import list_plugins as plugin_rows
from viewra.transcoding import service as transcoding
from viewra.transcoding.service import EvictRequest, TranscodeRequest
from viewra.web import web_file

app = Chalice(app_name="viewra-api")

# The web app served from another origin (CloudFront, VIEWRA_WEB_ORIGIN): every route answers
# CORS for it and its preflights are answered (by API Gateway from the packaged template, by
# Chalice's local gateway here). Set before the routes, which take the API's default as declared.
_CORS = (
    CORSConfig(allow_origin=get_settings().web_origin, expose_headers=["Retry-After"], max_age=600)
    if get_settings().web_origin
    else None
)
if _CORS is not None:
    app.api.cors = _CORS


def respond(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(
        body=to_jsonable(body), status_code=status, headers={**JSON_HEADERS, **(headers or {})}
    )


api = guarded(respond)

# Who may call what: every route has a rule here, or it answers 403 (tests/functional/
# test_api_access.py fails for a route without one). USER: any authenticated user, whose view
# then checks the library grants and whose data it is; ADMIN: administrators only; HOOK: the
# store hook's own token (viewra.media.store_hook). On AWS every route but PUBLIC and HOOK ones also
# has the Chalice authorizer ``gateway_auth`` in front (attached at the end of this file).
ACCESS: dict[tuple[str, str], str] = {
    ("/", "GET"): PUBLIC,
    ("/config.json", "GET"): PUBLIC,  # the web app: its files carry no data
    ("/assets/{name}", "GET"): PUBLIC,
    ("/health", "GET"): PUBLIC,  # with queue depths: counts only, what a probe watches
    ("/metrics", "GET"): ADMIN,  # route latencies and counters tell how the server is used
    ("/openapi.json", "GET"): PUBLIC,
    ("/auth/login", "POST"): PUBLIC,
    ("/auth/refresh", "POST"): PUBLIC,
    ("/auth/logout", "POST"): USER,
    ("/me", "GET"): USER,
    ("/me/password", "POST"): USER,
    ("/me/api-keys", "GET"): USER,
    ("/me/api-keys", "POST"): USER,
    ("/me/api-keys/{key_id}", "DELETE"): USER,
    ("/me/resume", "GET"): USER,
    ("/me/history", "GET"): USER,
    ("/me/next-up", "GET"): USER,
    ("/users", "GET"): ADMIN,
    ("/users", "POST"): ADMIN,
    ("/users/{user_id}", "GET"): ADMIN,
    ("/users/{user_id}", "DELETE"): ADMIN,
    ("/users/{user_id}/libraries", "GET"): ADMIN,
    ("/users/{user_id}/libraries", "PUT"): ADMIN,
    ("/libraries", "GET"): USER,
    ("/libraries", "POST"): ADMIN,
    ("/libraries/{library_id}", "GET"): USER,
    ("/libraries/{library_id}", "PATCH"): ADMIN,
    ("/libraries/{library_id}", "DELETE"): ADMIN,
    ("/libraries/{library_id}/scan", "POST"): ADMIN,
    ("/hooks/store-events", "POST"): HOOK,
    ("/scans/{scan_id}", "GET"): ADMIN,
    ("/items", "GET"): USER,
    ("/items/{item_id}", "GET"): USER,
    ("/profiles", "GET"): USER,
    ("/items/{item_id}/playback", "POST"): USER,
    ("/items/{item_id}/subtitles/{name}", "GET"): USER,
    ("/signed/{token}/items/{item_id}/subtitles/{name}", "GET"): MEDIA,
    ("/sessions", "GET"): USER,
    ("/sessions/{session_id}", "GET"): USER,
    ("/sessions/{session_id}/progress", "POST"): USER,
    ("/sessions/{session_id}/stop", "POST"): USER,
    ("/users/{user_id}/resume", "GET"): USER,
    ("/users/{user_id}/history", "GET"): USER,
    ("/users/{user_id}/next-up", "GET"): USER,
    ("/users/{user_id}/played/{item_id}", "POST"): USER,
    ("/users/{user_id}/played/{item_id}", "DELETE"): USER,
    ("/plugins", "GET"): ADMIN,
    ("/transcode/providers", "GET"): ADMIN,
    ("/transcode/presets", "GET"): USER,
    ("/transcodes", "POST"): USER,
    ("/transcodes/{h}", "GET"): USER,
    ("/transcodes/{h}", "DELETE"): ADMIN,  # a job is shared by everyone playing that output
    ("/transcodes/{h}/{name}", "GET"): USER,
    ("/signed/{token}/transcodes/{h}", "GET"): MEDIA,
    ("/signed/{token}/transcodes/{h}/{name}", "GET"): MEDIA,
    ("/transcodes/{h}/segments/{name}", "GET"): USER,
    ("/signed/{token}/transcodes/{h}/segments/{name}", "GET"): MEDIA,
    ("/transcode/cache", "GET"): ADMIN,
    ("/transcode/cache/{h}", "DELETE"): ADMIN,
    ("/transcode/cache/evict", "POST"): ADMIN,
    ("/events", "GET"): ADMIN,  # every user's sessions and logins go by
}

_principal: ContextVar[Principal | None] = ContextVar("principal", default=None)


def _me() -> Principal:
    principal = _principal.get()
    if principal is None:  # a USER/ADMIN route always has one; this is a guard, not a path
        raise Unauthorized("authentication required")
    return principal


@api
def _admit(request: Any) -> Principal | None:
    """The route's rule applied to the request: its principal, or None for a public route.
    A method the path does not declare (405) and a body too big (413) are refused first, before
    anyone is asked who they are; malformed path parameters (400) once they are known."""
    request_checks.check_method(app.routes, request.path, request.method)
    request_checks.check_size(request.raw_body)
    principal = _authenticate(request)
    request_checks.check_path_parameters(request.uri_params)
    return principal


def _authenticate(request: Any) -> Principal | None:
    rule = ACCESS.get((request.path, request.method))
    if rule is None:
        raise Forbidden("this route has no access rule", code="NoAccessRule")
    if rule in (PUBLIC, HOOK, MEDIA):
        return None
    principal = get_services().accounts.authenticate(request.headers)
    if rule == ADMIN and not principal.is_admin:
        raise Forbidden("administrators only")
    return principal


@app.middleware("http")
def measure(event: Any, get_response: Any) -> Any:
    """Every answer's time by route template (never the raw path: ids would make a series per
    item), method and status, refusals included (this runs outside ``correlate``)."""
    with metrics.timed("api_request_seconds", route=event.path, method=event.method) as labels:
        labels["status"] = 500  # what Chalice answers for an exception that gets past here
        response = get_response(event)
        labels["status"] = response.status_code
    return response


@app.middleware("http")
def correlate(event: Any, get_response: Any) -> Any:
    """Every log line of a request carries its request id (made up where no gateway gave one),
    and errors Chalice answers before a view runs take the API's error shape too."""
    logger.set_correlation_id(event.context.get("requestId") or uuid.uuid4().hex)
    admitted = _admit(event)
    if isinstance(admitted, Response):  # refused: 401, 403 (or 5xx), in the API's error shape
        response = admitted
    else:
        token = _principal.set(admitted)
        try:
            response = get_response(event)
        finally:
            _principal.reset(token)
    body = framework_error_body(response.body)
    if body is not None:
        headers = {**(response.headers or {}), **JSON_HEADERS}
        response = Response(body=body, status_code=response.status_code, headers=headers)
    if _CORS is not None:  # refusals and errors too, or the app could not read them
        response.headers = {**_CORS.get_access_control_headers(), **(response.headers or {})}
    return response


def _body() -> Any:
    return parse_json(app.current_request.raw_body)


def _parse(model: Any) -> Any:
    """The JSON body as ``model``: an object whose values have the declared JSON types."""
    return parse_body(model, app.current_request.raw_body)


def _base_url() -> str:
    """This API's own URL, for links a client follows (playlists, status)."""
    request = app.current_request
    headers = request.headers or {}
    proto = headers.get("x-forwarded-proto")
    stage = request.context.get("stage") if proto else None  # API Gateway puts the stage in paths
    return f"{proto or 'http'}://{headers.get('host', 'localhost')}" + (
        f"/{stage}" if stage else ""
    )


def _web(name: str) -> Response:
    f = web_file(get_settings().web_dir, name)
    headers = {"Content-Type": f.content_type, "Cache-Control": f.cache_control}
    return Response(body=f.body, status_code=200, headers=headers)


@app.route("/", methods=["GET"])
@api
def index() -> Response:
    """The web app (web/, built into web/dist): browse, play, follow scans and jobs."""
    return _web("index.html")


@app.route("/config.json", methods=["GET"])
@api
def web_config() -> Response:
    """The web app's runtime configuration (the API's base URL; empty: this origin)."""
    return _web("config.json")


@app.route("/assets/{name}", methods=["GET"])
@api
def web_asset(name: str) -> Response:
    return _web(f"assets/{name}")


@app.route("/health", methods=["GET"])
@api
def health() -> Response:
    ok, detail = check_health(get_services())
    return respond(200 if ok else 503, detail)


@app.route("/metrics", methods=["GET"])
@api
def metrics_exposition() -> Response:
    """The counters and timings of every process of the local stack, in Prometheus text format
    (on AWS they are CloudWatch metrics, and this answers an empty body)."""
    return Response(
        body=metrics.exposition().decode(),
        status_code=200,
        headers={"Content-Type": metrics.CONTENT_TYPE},
    )


@app.route("/openapi.json", methods=["GET"])
@api
def openapi() -> Response:
    return respond(200, build_openapi(tuple(ACCESS.items())))


# -- accounts: login, tokens, the caller's own account, users and their grants (admins) -------
def _client_address() -> str:
    """The caller's address as the gateway saw it (never a header the caller writes)."""
    identity = app.current_request.context.get("identity") or {}
    return str(identity.get("sourceIp") or "")


@app.route("/auth/login", methods=["POST"])
@api
def login() -> Response:
    request = _parse(LoginRequest)
    tokens = get_services().accounts.login(request.username, request.password, _client_address())
    return respond(200, tokens)  # a TooManyRequests answers 429 with its Retry-After


@app.route("/auth/refresh", methods=["POST"])
@api
def refresh() -> Response:
    request = _parse(RefreshRequest)
    return respond(200, get_services().accounts.refresh(request.refresh_token))


@app.route("/auth/logout", methods=["POST"])
@api
def logout() -> Response:
    """Every refresh token and access token of the caller stops working."""
    get_services().accounts.logout(_me())
    return Response(body="", status_code=204)


@app.route("/me", methods=["GET"])
@api
def me() -> Response:
    principal = _me()
    user = get_services().accounts.get_user(principal.user_id)
    return respond(200, {**user.public(), "libraries": sorted(principal.libraries)})


@app.route("/me/password", methods=["POST"])
@api
def change_password() -> Response:
    request = _parse(PasswordChange)
    get_services().accounts.change_password(_me(), request.current_password, request.new_password)
    return Response(body="", status_code=204)


@app.route("/me/api-keys", methods=["GET"])
@api
def list_api_keys() -> Response:
    return respond(200, {"api_keys": get_services().accounts.list_api_keys(_me())})


@app.route("/me/api-keys", methods=["POST"])
@api
def create_api_key() -> Response:
    """The key is in this answer and nowhere else: only its hash is kept."""
    request = _parse(ApiKeyCreate)
    return respond(201, get_services().accounts.create_api_key(_me(), request.name))


@app.route("/me/api-keys/{key_id}", methods=["DELETE"])
@api
def revoke_api_key(key_id: str) -> Response:
    get_services().accounts.revoke_api_key(_me(), key_id)
    return Response(body="", status_code=204)


@app.route("/me/resume", methods=["GET"])
@api
def my_resume() -> Response:
    return user_resume(_me().user_id)


@app.route("/me/history", methods=["GET"])
@api
def my_history() -> Response:
    return user_history(_me().user_id)


@app.route("/me/next-up", methods=["GET"])
@api
def my_next_up() -> Response:
    return user_next_up(_me().user_id)


@app.route("/users", methods=["GET"])
@api
def list_users() -> Response:
    return respond(200, {"users": [u.public() for u in get_services().accounts.list_users()]})


@app.route("/users", methods=["POST"])
@api
def create_user() -> Response:
    request = _parse(UserCreate)
    return respond(201, get_services().accounts.create_user(request, by=_me().user_id).public())


@app.route("/users/{user_id}", methods=["GET"])
@api
def get_user(user_id: str) -> Response:
    accounts = get_services().accounts
    user = accounts.get_user(user_id)
    return respond(200, {**user.public(), "libraries": accounts.grants(user.id)})


@app.route("/users/{user_id}", methods=["DELETE"])
@api
def delete_user(user_id: str) -> Response:
    get_services().accounts.delete_user(user_id, by=_me().user_id)
    return Response(body="", status_code=204)


@app.route("/users/{user_id}/libraries", methods=["GET"])
@api
def get_grants(user_id: str) -> Response:
    return respond(200, {"libraries": get_services().accounts.grants(user_id)})


@app.route("/users/{user_id}/libraries", methods=["PUT"])
@api
def set_grants(user_id: str) -> Response:
    """The libraries a regular user may see (all of them: the list replaces the old one)."""
    request = _parse(GrantChange)
    services = get_services()
    for library_id in request.libraries:
        services.libraries.get(library_id)  # 404 for a library that does not exist
    granted = services.accounts.set_grants(user_id, request.libraries, by=_me().user_id)
    return respond(200, {"libraries": granted})


@app.route("/libraries", methods=["GET"])
@api
def list_libraries() -> Response:
    principal = _me()
    libraries = [
        lib for lib in media.list_libraries(get_services()) if principal.can_see_library(lib.id)
    ]
    return respond(200, {"libraries": libraries})


@app.route("/libraries", methods=["POST"])
@api
def create_library() -> Response:
    request = _parse(LibraryCreate)
    library, scan = media.create_library(get_services(), request)
    return respond(201, {"library": library, "scan": scan})


@app.route("/libraries/{library_id}", methods=["GET"])
@api
def get_library(library_id: str) -> Response:
    access.library(_me(), library_id)
    return respond(200, media.get_library(get_services(), library_id))


@app.route("/libraries/{library_id}", methods=["PATCH"])
@api
def update_library(library_id: str) -> Response:
    request = _parse(LibraryUpdate)
    return respond(200, media.update_library(get_services(), library_id, request))


@app.route("/libraries/{library_id}", methods=["DELETE"])
@api
def delete_library(library_id: str) -> Response:
    media.delete_library(get_services(), library_id)
    return Response(body="", status_code=204)


@app.route("/libraries/{library_id}/scan", methods=["POST"])
@api
def scan_library(library_id: str) -> Response:
    return respond(202, media.start_scan(get_services(), library_id))


@app.route("/hooks/store-events", methods=["POST"])
@api
def store_events() -> Response:
    """MinIO's webhook target (and any store that posts S3-shaped records): to the scan queue."""
    headers = app.current_request.headers or {}
    queued = media.forward_store_events(get_services(), headers.get("authorization"), _body())
    return respond(202, {"queued": queued})


@app.route("/scans/{scan_id}", methods=["GET"])
@api
def get_scan(scan_id: str) -> Response:
    return respond(200, media.get_scan(get_services(), scan_id))


@app.route("/items", methods=["GET"])
@api
def list_items() -> Response:
    query = parse_model(ItemQuery, dict(app.current_request.query_params or {}))
    principal = _me()
    if query.library:
        access.library(principal, query.library)
    libraries = None if principal.is_admin or query.library else principal.libraries
    return respond(200, media.list_items(get_services(), query, libraries=libraries))


@app.route("/items/{item_id}", methods=["GET"])
@api
def get_item(item_id: str) -> Response:
    services = get_services()
    access.item(_me(), services.catalog.get(item_id), item_id)
    body = media.item_view(services, item_id)
    if body["optimized_versions"]:
        base = _media_base_url(item_id)
        body["optimized_versions"] = transcoding.version_states(
            services, body["optimized_versions"], base
        )
    return respond(200, body)


# -- playback: decisions, sessions, viewing history -----------------------------------------
def _user() -> str:
    """The authenticated user: sessions, resume points and history are theirs."""
    return _me().user_id


def _visible_item(item_id: str) -> None:
    """404 unless the caller may see the item's library (before anything is decided)."""
    access.item(_me(), get_services().catalog.get(item_id), item_id)


def _media_base_url(item_id: str | None = None) -> str:
    """The base of the playlist URLs handed to a player: the API's, plus a media token of the
    caller's that lives as long as the item plays (and a margin), no longer."""
    services = get_services()
    s = services.settings
    item = services.catalog.get(item_id) if item_id else None
    duration = int(item.duration or 0) if item else 0
    ttl = min(duration + s.auth_media_margin_seconds, s.auth_media_max_ttl_seconds)
    return f"{_base_url()}/signed/{services.accounts.media_token(_me(), ttl)}"


def _own_session(session_id: str) -> None:
    access.session(_me(), playback.get_session(get_services(), session_id))


@app.route("/profiles", methods=["GET"])
@api
def list_profiles() -> Response:
    return respond(200, {"profiles": playback.profiles()})


@app.route("/items/{item_id}/playback", methods=["POST"])
@api
def start_playback(item_id: str) -> Response:
    request = _parse(PlaybackRequest)
    _visible_item(item_id)
    session = playback.start_playback(
        get_services(), item_id, _user(), request, _media_base_url(item_id)
    )
    return respond(201, session)


@app.route("/items/{item_id}/subtitles/{name}", methods=["GET"])
@api
def item_subtitle(item_id: str, name: str) -> Response:
    """A subtitle stream as a file (``3.vtt``): a sidecar converted, an embedded one extracted."""
    _visible_item(item_id)
    return _subtitle(item_id, name)


@app.route("/signed/{token}/items/{item_id}/subtitles/{name}", methods=["GET"])
@api
def signed_item_subtitle(token: str, item_id: str, name: str) -> Response:
    """A session's External subtitle URL: for a ``<track>`` element, which sends no headers."""
    principal = get_services().accounts.authenticate_media(token)
    access.item(principal, get_services().catalog.get(item_id), item_id)
    return _subtitle(item_id, name)


def _subtitle(item_id: str, name: str) -> Response:
    f = media.item_subtitle(get_services(), item_id, name)
    return Response(body=f.body, status_code=200, headers={"Content-Type": f.content_type})


@app.route("/sessions", methods=["GET"])
@api
def list_sessions() -> Response:
    principal = _me()
    sessions = playback.active_sessions(get_services())
    return respond(200, {"sessions": [s for s in sessions if principal.may_act_for(s.user_id)]})


@app.route("/sessions/{session_id}", methods=["GET"])
@api
def get_session(session_id: str) -> Response:
    _own_session(session_id)
    return respond(200, playback.get_session(get_services(), session_id))


@app.route("/sessions/{session_id}/progress", methods=["POST"])
@api
def session_progress(session_id: str) -> Response:
    report = _parse(ProgressReport)
    _own_session(session_id)
    return respond(200, playback.report_progress(get_services(), session_id, report))


@app.route("/sessions/{session_id}/stop", methods=["POST"])
@api
def session_stop(session_id: str) -> Response:
    report = _parse(StopReport)
    _own_session(session_id)
    return respond(200, playback.stop_playback(get_services(), session_id, report))


@app.route("/users/{user_id}/resume", methods=["GET"])
@api
def user_resume(user_id: str) -> Response:
    access.user_data(_me(), user_id)
    rows = playback.resume_list(get_services(), user_id)
    return respond(200, {"items": access.rows_with_items(_me(), rows)})


@app.route("/users/{user_id}/history", methods=["GET"])
@api
def user_history(user_id: str) -> Response:
    access.user_data(_me(), user_id)
    rows = playback.history(get_services(), user_id)
    return respond(200, {"items": access.rows_with_items(_me(), rows)})


@app.route("/users/{user_id}/next-up", methods=["GET"])
@api
def user_next_up(user_id: str) -> Response:
    access.user_data(_me(), user_id)
    rows = playback.next_up(get_services(), user_id)
    return respond(200, {"items": access.rows_with_items(_me(), rows)})


@app.route("/users/{user_id}/played/{item_id}", methods=["POST", "DELETE"])
@api
def user_played(user_id: str, item_id: str) -> Response:
    played = app.current_request.method == "POST"
    access.user_data(_me(), user_id)
    _visible_item(item_id)
    return respond(200, playback.set_played(get_services(), user_id, item_id, played))


@app.route("/plugins", methods=["GET"])
@api
def list_plugins() -> Response:
    return respond(200, {"plugins": plugin_rows(get_services().plugins())})


# -- transcoding: jobs, their output, the content cache, providers ----------------------------
@app.route("/transcode/providers", methods=["GET"])
@api
def transcode_providers() -> Response:
    return respond(200, {"providers": transcoding.providers(get_services())})


@app.route("/transcode/presets", methods=["GET"])
@api
def transcode_presets() -> Response:
    return respond(200, {"presets": transcoding.presets()})


@app.route("/transcodes", methods=["POST"])
@api
def create_transcode() -> Response:
    request = _parse(TranscodeRequest)
    _visible_item(request.item_id)
    result = transcoding.create(get_services(), request, _media_base_url(request.item_id))
    return respond(200 if result["ready"] else 202, result)


@app.route("/transcodes/{h}", methods=["GET"])
@api
def get_transcode(h: str) -> Response:
    job = transcoding.get(get_services(), h)
    _visible_transcode(job.get("source"))
    return respond(200, job)


def _visible_transcode(source: dict[str, Any] | None) -> None:
    access.transcode_source(_me(), source, get_services().libraries.list_recent(30))


@app.route("/transcodes/{h}", methods=["DELETE"])
@api
def cancel_transcode(h: str) -> Response:
    return respond(200, transcoding.cancel(get_services(), h))


@app.route("/transcodes/{h}/{name}", methods=["GET"])
@api
def transcode_output(h: str, name: str) -> Response:
    _visible_transcode(transcoding.get(get_services(), h).get("source"))
    return _transcode_output(h, name, _media_base_url())


@app.route("/signed/{token}/transcodes/{h}", methods=["GET"])
@api
def signed_transcode(token: str, h: str) -> Response:
    """A session's ``status_url``: the job, for the holder of the media token."""
    return respond(200, _signed_job(token, h))


@app.route("/signed/{token}/transcodes/{h}/{name}", methods=["GET"])
@api
def signed_transcode_output(token: str, h: str, name: str) -> Response:
    """A transcode's playlists for a player that cannot send headers: the media token in the
    path (from the session or transcode answer) stands for the user, whose grants apply."""
    _signed_job(token, h)
    return _transcode_output(h, name, f"{_base_url()}/signed/{token}")


@app.route("/transcodes/{h}/segments/{name}", methods=["GET"])
@api
def transcode_segment(h: str, name: str) -> Response:
    _visible_transcode(transcoding.get(get_services(), h).get("source"))
    return _redirect(transcoding.segment(get_services(), h, name))


@app.route("/signed/{token}/transcodes/{h}/segments/{name}", methods=["GET"])
@api
def signed_transcode_segment(token: str, h: str, name: str) -> Response:
    """One segment for a player that cannot send headers (a seek into a fanned-out job)."""
    _signed_job(token, h)
    return _redirect(transcoding.segment(get_services(), h, name))


def _redirect(url: str) -> Response:
    return Response(body="", status_code=302, headers={"Location": url})


def _signed_job(token: str, h: str) -> dict[str, Any]:
    principal = get_services().accounts.authenticate_media(token)
    job = transcoding.get(get_services(), h)
    access.transcode_source(principal, job.get("source"), get_services().libraries.list_recent(30))
    return job


def _transcode_output(h: str, name: str, base_url: str) -> Response:
    kind, body = transcoding.output(get_services(), h, name, base_url)
    if kind == "redirect":
        return Response(body="", status_code=302, headers={"Location": body})
    return Response(
        body=body, status_code=200, headers={"Content-Type": "application/vnd.apple.mpegurl"}
    )


@app.route("/transcode/cache", methods=["GET"])
@api
def transcode_cache() -> Response:
    return respond(200, transcoding.cache(get_services()))


@app.route("/transcode/cache/{h}", methods=["DELETE"])
@api
def evict_transcode(h: str) -> Response:
    return respond(200, transcoding.evict_one(get_services(), h))


@app.route("/transcode/cache/evict", methods=["POST"])
@api
def evict_transcodes() -> Response:
    request = _parse(EvictRequest)
    return respond(200, transcoding.evict_to_budget(get_services(), request.budget_bytes))


# -- events: follow the stream; and the topic subscription that fills it ---------------------
@app.route("/events", methods=["GET"])
@api
def list_events() -> Response:
    query = parse_model(EventQuery, dict(app.current_request.query_params or {}))
    return respond(200, feed.follow(get_services(), query))


# a one-second batching window: a stream of playback events is stored up to ten at a time, with
# one receive, one batched write and one delete
@app.on_sqs_message(
    queue=get_settings().events_queue, batch_size=10, maximum_batching_window_in_seconds=1
)
def handle_events_queue(event: Any) -> dict[str, Any]:
    return feed.store_deliveries(get_services(), event)


# -- on AWS: the same check as a Chalice authorizer in front of every private route ----------
@app.authorizer(ttl_seconds=60)
def gateway_auth(auth_request: Any) -> AuthResponse:
    """API Gateway calls this before the api function (VIEWRA_API_AUTHORIZER, set by
    ``make package``): any valid token or key passes (roles, grants and ownership are the
    function's to check); anything else is refused with 401 before the function runs."""
    try:
        principal = get_services().accounts.authenticate({"authorization": auth_request.token})
    except Unauthorized:
        raise Exception("Unauthorized") from None  # API Gateway's word for a 401
    return AuthResponse(
        routes=["*"], principal_id=principal.user_id, context={"role": principal.role.value}
    )


if get_settings().api_authorizer:
    for _path, _methods in app.routes.items():
        for _method, _entry in _methods.items():
            if ACCESS.get((_path, _method)) not in access.GATEWAY_OPEN:
                _entry.authorizer = gateway_auth
