"""The base every device-profile model shares: Jellyfin's PascalCase JSON, frozen, lenient.

Jellyfin serialises ``DeviceProfile`` with PascalCase keys; we read exactly that, ignore keys we
do not know (newer Jellyfin fields, ``ResponseProfiles``, DLNA identification), and treat an
explicit ``null`` as "absent" because Jellyfin's serializer writes ``null`` for unset arrays and
strings. Models are frozen: a parsed profile is shared by every decision and must not change.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator
from pydantic.alias_generators import to_pascal


class ProfileModel(BaseModel):
    """PascalCase aliases, unknown keys ignored, ``null`` meaning absent, immutable."""

    model_config = ConfigDict(
        alias_generator=to_pascal,
        populate_by_name=True,
        extra="ignore",
        frozen=True,
    )

    @model_validator(mode="before")
    @classmethod
    def _drop_nulls(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if v is not None}
        return data
