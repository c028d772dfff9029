"""A record of the AWS calls made, taken at botocore (third-party code, not ours)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import botocore.client


@contextmanager
def aws_calls() -> Iterator[list[tuple[str, dict[str, Any]]]]:
    calls: list[tuple[str, dict[str, Any]]] = []
    original = botocore.client.BaseClient._make_api_call

    def spy(self: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        calls.append((operation_name, dict(api_params)))
        return original(self, operation_name, api_params)

    botocore.client.BaseClient._make_api_call = spy  # type: ignore[method-assign]
    try:
        yield calls
    finally:
        botocore.client.BaseClient._make_api_call = original  # type: ignore[method-assign]
