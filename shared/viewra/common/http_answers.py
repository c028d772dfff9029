"""Turning errors and models into API answers: ``{"error": {"code", "message"}}`` with the
right status, never a traceback; and reading request bodies within bounds (size, nesting)."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ValidationError

from viewra.common.errors import BadRequest, PayloadTooLarge, Unprocessable, ViewraError
from viewra.common.logs import logger

JSON_HEADERS = {"Content-Type": "application/json"}
# A request body is a small JSON document (the largest is a device profile, a few KB): anything
# bigger is refused before it is parsed, anything nested deeper than DynamoDB stores (32 levels)
# is refused after (the parser's own limit was a RecursionError: a 500).
MAX_BODY_BYTES = 1024 * 1024
MAX_JSON_DEPTH = 32


def error_body(code: str, message: str) -> dict[str, dict[str, str]]:
    return {"error": {"code": code, "message": message}}


def validation_message(exc: ValidationError) -> str:
    """Each bad field as ``path: problem``, the path dotted (``DirectPlayProfiles.0.Type``)."""
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err.get("loc", ())) or "body"
        parts.append(f"{loc}: {err.get('msg')}")
    return "; ".join(parts)


def parse_model(model: type[BaseModel], data: Any, *, strict: bool = False) -> Any:
    """``data`` as ``model`` (422 naming each bad field). ``strict``: a JSON body's values
    must have their declared JSON types (``"5"`` is not a number, ``1`` not a boolean), as the
    OpenAPI document says; query strings are text, so they are read leniently."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise BadRequest("expected a JSON object")
    try:
        if strict:  # JSON mode: enums and dates from their strings, no other coercion
            return model.model_validate_json(json.dumps(whole_numbers(data)), strict=True)
        return model.model_validate(data)
    except ValidationError as exc:
        raise Unprocessable(validation_message(exc)) from exc


def whole_numbers(value: Any) -> Any:
    """``value`` with every float that is a whole number (``178.0``) as an int: JSON Schema
    counts it an integer, so a client (or a JavaScript ``Number``) may send it for an integer
    field; pydantic's strict mode would refuse it. A float field still takes the int."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: whole_numbers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [whole_numbers(item) for item in value]
    return value


def parse_body(model: type[BaseModel], raw: bytes | str | None) -> Any:
    """A request body as ``model``, strictly (see :func:`parse_model`): no body at all is
    ``{}`` (for a model whose fields are all optional), a JSON ``null`` is not an object."""
    data = parse_json(raw)
    if data is None and raw not in (None, b"", ""):
        raise BadRequest("expected a JSON object")
    return parse_model(model, data, strict=True)


def json_depth(value: Any) -> int:
    """How deeply ``value`` nests lists and objects (a scalar: 0), without recursion; a
    ``ValueError`` for a string that is not Unicode (a lone surrogate, which JSON's ``\\u``
    escapes can spell but no store can keep)."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, str):
            node.encode("utf-8")  # UnicodeEncodeError is a ValueError
            continue
        if isinstance(node, dict):
            stack.extend((key, depth) for key in node)
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        deepest = max(deepest, depth)
        if depth > MAX_JSON_DEPTH:
            break
        stack.extend((child, depth + 1) for child in children)
    return deepest


def parse_json(raw: bytes | str | None) -> Any:
    """A request body as JSON: 413 past ``MAX_BODY_BYTES``, 400 when it is not JSON or nests
    deeper than ``MAX_JSON_DEPTH``."""
    if raw in (None, b"", ""):
        return None
    if len(raw) > MAX_BODY_BYTES:  # type: ignore[arg-type]
        raise PayloadTooLarge(f"a request body is at most {MAX_BODY_BYTES} bytes")
    try:
        value = json.loads(raw, parse_constant=_no_constant)  # type: ignore[arg-type]
        depth = json_depth(value)
    except RecursionError as exc:
        raise BadRequest(_too_deep(), code="TooDeep") from exc
    except UnicodeEncodeError as exc:
        raise BadRequest("body holds a string that is not Unicode", code="InvalidJSON") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest(f"body is not valid JSON: {exc}", code="InvalidJSON") from exc
    if depth > MAX_JSON_DEPTH:
        raise BadRequest(_too_deep(), code="TooDeep")
    return value


def _no_constant(name: str) -> Any:
    """``NaN``, ``Infinity``: Python's parser reads them, JSON has no such numbers."""
    raise ValueError(f"{name} is not a JSON number")


def _too_deep() -> str:
    return f"a request body nests lists and objects {MAX_JSON_DEPTH} deep at most"


def to_jsonable(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, list):
        return [to_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: to_jsonable(v) for k, v in value.items()}
    return value


def guarded(
    make_response: Callable[..., Any],
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Wrap a view: ViewraError → its status, JSON and headers (``make_response(status, body,
    headers)``); anything else → 500 without detail."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return view(*args, **kwargs)
            except ViewraError as exc:
                logger.info("request refused", extra={"code": exc.code, "status": exc.status})
                return make_response(exc.status, exc.to_dict(), exc.headers())
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
