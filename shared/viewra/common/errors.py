"""Errors a client can cause, each with the HTTP status it maps to (in one place: here).

Handlers turn any :class:`ViewraError` into ``{"error": {"code", "message"}}``; anything else is a
bug and answers 500 without a traceback.
"""

from __future__ import annotations


class ViewraError(Exception):
    """Base of the errors that reach a client; ``code`` is stable, ``message`` is for people."""

    status = 500
    code = "InternalError"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def to_dict(self) -> dict[str, dict[str, str]]:
        return {"error": {"code": self.code, "message": self.message}}

    def headers(self) -> dict[str, str]:
        """Headers the answer carries besides the body (``Allow``, ``Retry-After``)."""
        return {}


class BadRequest(ViewraError):
    status = 400
    code = "BadRequest"


class InvalidKey(BadRequest):
    code = "InvalidKey"


class Unauthorized(ViewraError):
    status = 401
    code = "Unauthorized"


class Forbidden(ViewraError):
    """Authenticated, but not allowed (a regular user on an admin route)."""

    status = 403
    code = "Forbidden"


class NotFound(ViewraError):
    status = 404
    code = "NotFound"


class MethodNotAllowed(ViewraError):
    """The path exists, the method is not one of its routes': ``allow`` lists those."""

    status = 405
    code = "MethodNotAllowed"

    def __init__(self, message: str, *, allow: tuple[str, ...] = (), code: str | None = None):
        super().__init__(message, code=code)
        self.allow = allow

    def headers(self) -> dict[str, str]:
        return {"Allow": ", ".join(self.allow)}


class Conflict(ViewraError):
    status = 409
    code = "Conflict"


class PayloadTooLarge(ViewraError):
    status = 413
    code = "PayloadTooLarge"


class Unprocessable(ViewraError):
    status = 422
    code = "ValidationError"


class TooManyRequests(ViewraError):
    """Too many failed attempts: ``retry_after`` seconds until the next one is heard."""

    status = 429
    code = "TooManyRequests"

    def __init__(self, message: str, *, retry_after: float = 0.0, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(max(1, int(self.retry_after + 0.999)))}


class ObjectChanged(ViewraError):
    """A read pinned to an object's ETag found the object replaced or gone."""


class WriteFailed(ViewraError):
    """A store refused or failed a write that a retry may get through (the queue retries it)."""

    status = 503
    code = "Unavailable"


class PoisonMessage(ValueError):
    """A queue message no retry can fix: failed, so the queue moves it to the dead-letter queue."""
