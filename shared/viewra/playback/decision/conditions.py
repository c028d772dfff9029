"""Profile conditions: parsing a condition once, and checking it against one stream's facts.

Semantics are Jellyfin's ``ConditionProcessor``:

* an unknown value (``None`` or ``""``) satisfies a condition unless it ``IsRequired`` (which
  defaults to true, as ``ProfileCondition``'s constructor sets it);
* a known value is compared whatever ``IsRequired`` says, so a non-required condition still fails
  on a known bad value;
* text compares ignore case; ``EqualsAny`` takes a ``|``-separated list; booleans parse
  ``true``/``false`` in any case.

Where Jellyfin would throw at decision time (``LessThanEqual`` on a text property, an unparsable
number), we reject the profile when it is loaded instead, with the path of the bad field.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import PrivateAttr, ValidationInfo, field_validator, model_validator

from viewra.playback.decision.enums import (
    ProfileConditionType,
    ProfileConditionValue,
    TranscodeReason,
)
from viewra.playback.decision.profile_base import ProfileModel

P = ProfileConditionValue
C = ProfileConditionType
R = TranscodeReason

NUMBER_PROPERTIES = frozenset(
    {
        P.AUDIO_CHANNELS,
        P.AUDIO_BITRATE,
        P.WIDTH,
        P.HEIGHT,
        P.PACKET_LENGTH,
        P.VIDEO_BIT_DEPTH,
        P.VIDEO_BITRATE,
        P.VIDEO_FRAMERATE,
        P.VIDEO_LEVEL,
        P.REF_FRAMES,
        P.NUM_AUDIO_STREAMS,
        P.NUM_VIDEO_STREAMS,
        P.NUM_STREAMS,
        P.AUDIO_SAMPLE_RATE,
        P.AUDIO_BIT_DEPTH,
        P.VIDEO_ROTATION,
    }
)
BOOL_PROPERTIES = frozenset(
    {P.HAS_64BIT_OFFSETS, P.IS_ANAMORPHIC, P.IS_SECONDARY_AUDIO, P.IS_AVC, P.IS_INTERLACED}
)
TEXT_PROPERTIES = frozenset(
    {P.AUDIO_PROFILE, P.VIDEO_PROFILE, P.VIDEO_TIMESTAMP, P.VIDEO_CODEC_TAG, P.VIDEO_RANGE_TYPE}
)

# The properties Jellyfin's IsVideoAudioConditionSatisfied knows; an audio-side codec profile
# naming any other property is rejected at load (Jellyfin throws ArgumentException at play time).
AUDIO_PROPERTIES = frozenset(
    {
        P.AUDIO_CHANNELS,
        P.AUDIO_BITRATE,
        P.AUDIO_PROFILE,
        P.AUDIO_SAMPLE_RATE,
        P.AUDIO_BIT_DEPTH,
        P.IS_SECONDARY_AUDIO,
    }
)
# Jellyfin's IsVideoConditionSatisfied returns true for anything it does not read (audio
# properties, Has64BitOffsets), so a video-side condition on those never fails.
VIDEO_PROPERTIES = frozenset(set(P) - AUDIO_PROPERTIES - {P.HAS_64BIT_OFFSETS})

_ALLOWED: dict[frozenset[ProfileConditionValue], frozenset[ProfileConditionType]] = {
    NUMBER_PROPERTIES: frozenset(C),
    BOOL_PROPERTIES: frozenset({C.EQUALS, C.NOT_EQUALS}),
    TEXT_PROPERTIES: frozenset({C.EQUALS, C.NOT_EQUALS, C.EQUALS_ANY}),
}

# Jellyfin's StreamBuilder.GetTranscodeReasonForFailedCondition. Properties Jellyfin maps to no
# reason ("TODO") are absent here and report DirectPlayError (see reasons_for).
# NumAudioStreams / NumVideoStreams map to StreamCountExceedsLimit here (Jellyfin: none).
REASON_FOR_PROPERTY: dict[ProfileConditionValue, TranscodeReason] = {
    P.AUDIO_BITRATE: R.AUDIO_BITRATE_NOT_SUPPORTED,
    P.AUDIO_CHANNELS: R.AUDIO_CHANNELS_NOT_SUPPORTED,
    P.AUDIO_PROFILE: R.AUDIO_PROFILE_NOT_SUPPORTED,
    P.AUDIO_SAMPLE_RATE: R.AUDIO_SAMPLE_RATE_NOT_SUPPORTED,
    P.AUDIO_BIT_DEPTH: R.AUDIO_BIT_DEPTH_NOT_SUPPORTED,
    P.IS_SECONDARY_AUDIO: R.SECONDARY_AUDIO_NOT_SUPPORTED,
    P.HEIGHT: R.VIDEO_RESOLUTION_NOT_SUPPORTED,
    P.WIDTH: R.VIDEO_RESOLUTION_NOT_SUPPORTED,
    P.IS_ANAMORPHIC: R.ANAMORPHIC_VIDEO_NOT_SUPPORTED,
    P.IS_INTERLACED: R.INTERLACED_VIDEO_NOT_SUPPORTED,
    P.REF_FRAMES: R.REF_FRAMES_NOT_SUPPORTED,
    P.VIDEO_BIT_DEPTH: R.VIDEO_BIT_DEPTH_NOT_SUPPORTED,
    P.VIDEO_BITRATE: R.VIDEO_BITRATE_NOT_SUPPORTED,
    P.VIDEO_CODEC_TAG: R.VIDEO_CODEC_TAG_NOT_SUPPORTED,
    P.VIDEO_FRAMERATE: R.VIDEO_FRAMERATE_NOT_SUPPORTED,
    P.VIDEO_LEVEL: R.VIDEO_LEVEL_NOT_SUPPORTED,
    P.VIDEO_PROFILE: R.VIDEO_PROFILE_NOT_SUPPORTED,
    P.VIDEO_RANGE_TYPE: R.VIDEO_RANGE_TYPE_NOT_SUPPORTED,
    P.NUM_STREAMS: R.STREAM_COUNT_EXCEEDS_LIMIT,
    P.VIDEO_ROTATION: R.VIDEO_ROTATION_NOT_SUPPORTED,
    P.NUM_AUDIO_STREAMS: R.STREAM_COUNT_EXCEEDS_LIMIT,
    P.NUM_VIDEO_STREAMS: R.STREAM_COUNT_EXCEEDS_LIMIT,
}

Facts = Mapping[ProfileConditionValue, Any]
_SNAKE = {"Condition": "condition", "Property": "property"}
_NUMBER, _BOOL, _TEXT = 0, 1, 2


class ProfileCondition(ProfileModel):
    """One ``{Condition, Property, Value, IsRequired}`` entry of a profile.

    The value is parsed once here (numbers, the ``|`` alternatives, the flag) so checking it per
    decision is a comparison, not a parse.
    """

    # Jellyfin's defaults for a field the JSON leaves out: the enums' first members (Equals,
    # AudioChannels), an empty Value, IsRequired true (ProfileCondition's constructor).
    condition: ProfileConditionType
    property: ProfileConditionValue
    value: str = ""
    is_required: bool = True

    @model_validator(mode="before")
    @classmethod
    def _jellyfin_defaults(cls, data: Any) -> Any:
        # Set here, not as field defaults: a default on the field named "property" would
        # shadow the builtin in the class body.
        if isinstance(data, dict):
            data = dict(data)
            for key, default in (("Condition", "Equals"), ("Property", "AudioChannels")):
                if data.get(key) is None and data.get(_SNAKE[key]) is None:
                    data[key] = default
        return data

    _numbers: tuple[float, ...] = PrivateAttr(default=())
    _texts: frozenset[str] = PrivateAttr(default=frozenset())
    _whole: str = PrivateAttr(default="")
    _flag: bool | None = PrivateAttr(default=None)
    _kind: int = PrivateAttr(default=_TEXT)

    @field_validator("value", mode="before")
    @classmethod
    def _value_as_text(cls, value: object) -> object:
        # Jellyfin's Value is a string; hand-written profiles sometimes write 42 or true bare.
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int | float):
            return str(value)
        return value

    @field_validator("value")
    @classmethod
    def _value_fits_property(cls, value: str, info: ValidationInfo) -> str:
        prop = info.data.get("property")
        cond = info.data.get("condition")
        if prop is None or cond is None:
            return value  # the property or condition error is already reported
        if not value.strip():
            return value  # Jellyfin's empty Value: see is_satisfied
        for props, allowed in _ALLOWED.items():
            if prop in props and cond not in allowed:
                raise ValueError(f"{cond.value} cannot be applied to {prop.value}")
        if prop in NUMBER_PROPERTIES:
            parts = value.split("|") if cond is C.EQUALS_ANY else [value]
            for part in parts:
                try:
                    float(part.replace(",", ""))
                except ValueError:
                    raise ValueError(f"{prop.value} needs a number, got {part!r}") from None
        if prop in BOOL_PROPERTIES and value.strip().lower() not in {"true", "false"}:
            raise ValueError(f"{prop.value} needs true or false, got {value!r}")
        return value

    def model_post_init(self, __context: Any) -> None:
        prop, value = self.property, self.value
        if not value.strip():
            # Nothing to parse; _kind keeps the property's kind so is_satisfied can answer as
            # Jellyfin's ConditionProcessor does for a value it cannot parse.
            number, flag = prop in NUMBER_PROPERTIES, prop in BOOL_PROPERTIES
            self._kind = _NUMBER if number else _BOOL if flag else _TEXT
            return
        if prop in NUMBER_PROPERTIES:
            self._kind = _NUMBER
            parts = value.split("|") if self.condition is C.EQUALS_ANY else [value]
            self._numbers = tuple(float(p.replace(",", "")) for p in parts)
        elif prop in BOOL_PROPERTIES:
            self._kind = _BOOL
            self._flag = value.strip().lower() == "true"
        else:
            self._kind = _TEXT
            self._whole = value.strip().casefold()
            self._texts = frozenset(p.strip().casefold() for p in value.split("|"))

    @property
    def numbers(self) -> tuple[float, ...]:
        """The parsed numeric value(s); one unless the condition is ``EqualsAny``; none if the
        Value is empty."""
        return self._numbers

    @property
    def texts(self) -> tuple[str, ...]:
        """The ``|`` alternatives of a text value, as written (case kept), in order."""
        return tuple(p.strip() for p in self.value.split("|") if p.strip())

    @property
    def flag(self) -> bool | None:
        return self._flag

    def is_satisfied(self, current: Any) -> bool:
        """Whether ``current`` (the stream's value of this property) passes the condition."""
        if current is None or current == "":
            return not self.is_required
        cond = self.condition
        kind = self._kind
        if not self.value.strip():
            # Jellyfin's ConditionProcessor on an empty Value: a number or flag that does not
            # parse fails the condition; text compares with "" (Equals fails, NotEquals passes)
            # and an empty EqualsAny list takes anything (ContainerHelper's empty list).
            if kind != _TEXT:
                return False
            return cond is not C.EQUALS
        if kind == _NUMBER:
            if cond is C.EQUALS_ANY:
                return current in self._numbers
            expected = self._numbers[0]
            if cond is C.LESS_THAN_EQUAL:
                return current <= expected
            if cond is C.GREATER_THAN_EQUAL:
                return current >= expected
            if cond is C.EQUALS:
                return current == expected
            return current != expected
        if kind == _BOOL:
            return (bool(current) == self._flag) == (cond is C.EQUALS)
        text = str(current).casefold()
        if cond is C.EQUALS_ANY:
            return text in self._texts
        return (text == self._whole) == (cond is C.EQUALS)


def failed(
    conditions: Iterable[ProfileCondition], facts: Facts, relevant: frozenset[ProfileConditionValue]
) -> list[ProfileCondition]:
    """The conditions ``facts`` fail; conditions on properties outside ``relevant`` never fail."""
    return [
        c
        for c in conditions
        if c.property in relevant and not c.is_satisfied(facts.get(c.property))
    ]


def all_satisfied(
    conditions: Iterable[ProfileCondition], facts: Facts, relevant: frozenset[ProfileConditionValue]
) -> bool:
    """Whether every relevant condition passes (used for ``ApplyConditions``)."""
    return all(c.is_satisfied(facts.get(c.property)) for c in conditions if c.property in relevant)


def reasons_for(conditions: Iterable[ProfileCondition]) -> set[TranscodeReason]:
    """The reasons failed conditions stand for.

    A failed condition on a property with no reason of its own (PacketLength, VideoTimestamp,
    IsAvc) stands for DirectPlayError. Jellyfin maps those to no flag at all, which lets the
    direct play through despite the failed condition; we never direct play past a failure.
    """
    return {REASON_FOR_PROPERTY.get(c.property, R.DIRECT_PLAY_ERROR) for c in conditions}
