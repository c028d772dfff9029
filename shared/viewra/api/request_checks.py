"""What every API request must pass before its view runs: a method the path declares (405 with
``Allow``), a body within bounds (413), path parameters of the shapes in
:mod:`viewra.common.identifiers` (400). Pure functions of the request's parts; no I/O."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from viewra.common.errors import BadRequest, MethodNotAllowed, PayloadTooLarge
from viewra.common.http_answers import MAX_BODY_BYTES
from viewra.common.identifiers import PATH_PARAMETERS, bad_path_parameters


def allowed_methods(routes: Mapping[str, Mapping[str, Any]], path: str) -> tuple[str, ...]:
    """The methods declared for a route path (``/items/{item_id}``), sorted; () if none."""
    return tuple(sorted(routes.get(path, {})))


def check_method(routes: Mapping[str, Mapping[str, Any]], path: str, method: str) -> None:
    allow = allowed_methods(routes, path)
    if allow and method not in allow:
        raise MethodNotAllowed(
            f"{method} is not allowed here; allowed: {', '.join(allow)}", allow=allow
        )


def check_size(raw_body: bytes | str | None) -> None:
    if raw_body and len(raw_body) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"a request body is at most {MAX_BODY_BYTES} bytes")


def check_path_parameters(params: Mapping[str, str] | None) -> None:
    bad = bad_path_parameters(dict(params or {}))
    if bad:
        shapes = "; ".join(f"{n}: {_describe(n)}" for n in bad)
        raise BadRequest(f"malformed path parameter ({shapes})", code="InvalidId")


def _describe(name: str) -> str:
    shape = PATH_PARAMETERS.get(name)
    return "not a parameter of any route" if shape is None else shape.description
