"""The HTTP API (behind API Gateway): each route parses, calls the core, shapes the answer."""

from __future__ import annotations

import uuid
from typing import Any

from chalice import Chalice, Response

from viewra.api.health import check_health
from viewra.api.openapi import build_openapi
from viewra.bootstrap import get_services
from viewra.common import event_feed as feed
from viewra.common.event_feed import EventQuery
from viewra.common.http_answers import (
    JSON_HEADERS,
    framework_error_body,
    guarded,
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
from viewra.transcoding.service import TranscodeRequest
from viewra.web import web_file

app = Chalice(app_name="viewra-api")


def respond(status: int, body: Any) -> Response:
    return Response(body=to_jsonable(body), status_code=status, headers=dict(JSON_HEADERS))


api = guarded(respond)


@app.middleware("http")
def correlate(event: Any, get_response: Any) -> Any:
    """Every log line of a request carries its request id (made up where no gateway gave one),
    and errors Chalice answers before a view runs take the API's error shape too."""
    logger.set_correlation_id(event.context.get("requestId") or uuid.uuid4().hex)
    response = get_response(event)
    body = framework_error_body(response.body)
    if body is not None:
        headers = {**(response.headers or {}), **JSON_HEADERS}
        response = Response(body=body, status_code=response.status_code, headers=headers)
    return response


def _body() -> Any:
    return parse_json(app.current_request.raw_body)


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


@app.route("/openapi.json", methods=["GET"])
@api
def openapi() -> Response:
    return respond(200, build_openapi())


@app.route("/libraries", methods=["GET"])
@api
def list_libraries() -> Response:
    return respond(200, {"libraries": media.list_libraries(get_services())})


@app.route("/libraries", methods=["POST"])
@api
def create_library() -> Response:
    request = parse_model(LibraryCreate, _body())
    library, scan = media.create_library(get_services(), request)
    return respond(201, {"library": library, "scan": scan})


@app.route("/libraries/{library_id}", methods=["GET"])
@api
def get_library(library_id: str) -> Response:
    return respond(200, media.get_library(get_services(), library_id))


@app.route("/libraries/{library_id}", methods=["PATCH"])
@api
def update_library(library_id: str) -> Response:
    request = parse_model(LibraryUpdate, _body())
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
    return respond(200, media.list_items(get_services(), query))


@app.route("/items/{item_id}", methods=["GET"])
@api
def get_item(item_id: str) -> Response:
    return respond(200, media.item_view(get_services(), item_id))


# -- playback: decisions, sessions, viewing history -----------------------------------------
def _user() -> str:
    """The user, from a header until authentication exists."""
    return (app.current_request.headers or {}).get("x-viewra-user") or playback.DEFAULT_USER


@app.route("/profiles", methods=["GET"])
@api
def list_profiles() -> Response:
    return respond(200, {"profiles": playback.profiles()})


@app.route("/items/{item_id}/playback", methods=["POST"])
@api
def start_playback(item_id: str) -> Response:
    request = parse_model(PlaybackRequest, _body())
    session = playback.start_playback(get_services(), item_id, _user(), request, _base_url())
    return respond(201, session)


@app.route("/sessions", methods=["GET"])
@api
def list_sessions() -> Response:
    return respond(200, {"sessions": playback.active_sessions(get_services())})


@app.route("/sessions/{session_id}", methods=["GET"])
@api
def get_session(session_id: str) -> Response:
    return respond(200, playback.get_session(get_services(), session_id))


@app.route("/sessions/{session_id}/progress", methods=["POST"])
@api
def session_progress(session_id: str) -> Response:
    report = parse_model(ProgressReport, _body())
    return respond(200, playback.report_progress(get_services(), session_id, report))


@app.route("/sessions/{session_id}/stop", methods=["POST"])
@api
def session_stop(session_id: str) -> Response:
    report = parse_model(StopReport, _body())
    return respond(200, playback.stop_playback(get_services(), session_id, report))


@app.route("/users/{user_id}/resume", methods=["GET"])
@api
def user_resume(user_id: str) -> Response:
    return respond(200, {"items": playback.resume_list(get_services(), user_id)})


@app.route("/users/{user_id}/history", methods=["GET"])
@api
def user_history(user_id: str) -> Response:
    return respond(200, {"items": playback.history(get_services(), user_id)})


@app.route("/users/{user_id}/next-up", methods=["GET"])
@api
def user_next_up(user_id: str) -> Response:
    return respond(200, {"items": playback.next_up(get_services(), user_id)})


@app.route("/users/{user_id}/played/{item_id}", methods=["POST", "DELETE"])
@api
def user_played(user_id: str, item_id: str) -> Response:
    played = app.current_request.method == "POST"
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


@app.route("/transcodes", methods=["POST"])
@api
def create_transcode() -> Response:
    request = parse_model(TranscodeRequest, _body())
    result = transcoding.create(get_services(), request, _base_url())
    return respond(200 if result["ready"] else 202, result)


@app.route("/transcodes/{h}", methods=["GET"])
@api
def get_transcode(h: str) -> Response:
    return respond(200, transcoding.get(get_services(), h))


@app.route("/transcodes/{h}", methods=["DELETE"])
@api
def cancel_transcode(h: str) -> Response:
    return respond(200, transcoding.cancel(get_services(), h))


@app.route("/transcodes/{h}/{name}", methods=["GET"])
@api
def transcode_output(h: str, name: str) -> Response:
    kind, body = transcoding.output(get_services(), h, name, _base_url())
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
    budget = (_body() or {}).get("budget_bytes")
    return respond(200, transcoding.evict_to_budget(get_services(), budget))


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
