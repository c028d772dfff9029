"""Turning errors and models into API answers: ``{"error": {"code", "message"}}`` with the
right status, never a traceback."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ValidationError

from viewra.common.errors import BadRequest, Unprocessable, ViewraError
from viewra.common.logs import logger

JSON_HEADERS = {"Content-Type": "application/json"}


def error_body(code: str, message: str) -> dict[str, dict[str, str]]:
    return {"error": {"code": code, "message": message}}


def validation_message(exc: ValidationError) -> str:
    """Each bad field as ``path: problem``, the path dotted (``DirectPlayProfiles.0.Type``)."""
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err.get("loc", ())) or "body"
        parts.append(f"{loc}: {err.get('msg')}")
    return "; ".join(parts)


def parse_model(model: type[BaseModel], data: Any) -> Any:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise BadRequest("expected a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise Unprocessable(validation_message(exc)) from exc


def parse_json(raw: bytes | str | None) -> Any:
    if raw in (None, b"", ""):
        return None
    try:
        return json.loads(raw)  # type: ignore[arg-type]
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest(f"body is not valid JSON: {exc}", code="InvalidJSON") from exc


def to_jsonable(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, list):
        return [to_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: to_jsonable(v) for k, v in value.items()}
    return value


def guarded(
    make_response: Callable[[int, Any], Any],
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Wrap a view: ViewraError → its status and JSON; anything else → 500 without detail."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return view(*args, **kwargs)
            except ViewraError as exc:
                logger.info("request refused", extra={"code": exc.code, "status": exc.status})
                return make_response(exc.status, exc.to_dict())
            except Exception:
                logger.exception("unhandled error")
                return make_response(500, error_body("InternalError", "internal error"))

        return wrapper

    return decorate


def framework_error_body(body: Any) -> dict[str, dict[str, str]] | None:
    """Our error shape for an error the framework answered itself (Chalice's own
    ``{"Code", "Message"}``, e.g. 415 for a body that is not declared JSON), else None."""
    if isinstance(body, dict) and set(body) == {"Code", "Message"}:
        return error_body(str(body["Code"]), str(body["Message"]))
    return None
