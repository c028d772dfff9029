"""Transcode providers: what each can do, whether this machine can run it, and which one a job
gets.

A provider is data (:class:`Provider`): the codecs it reads and writes, its hardware kind, its
priority and how many jobs it may run at once, plus the ffmpeg encoders it needs and a one-frame
trial encode that proves the hardware is really there (an encoder listed by ``ffmpeg -encoders``
only says ffmpeg was built with it). What the machine offers is data too (:class:`FfmpegFacts`),
gathered once by :func:`probe_ffmpeg`; selection is a pure function of both, so tests give facts
as data instead of GPUs.
"""

from __future__ import annotations

import re
import subprocess
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum

from viewra.transcoding.params import COPY, TranscodeParams


class HardwareKind(StrEnum):
    NONE = "none"  # no encoder at all: stream copy
    SOFTWARE = "software"
    NVENC = "nvenc"
    VAAPI = "vaapi"
    QSV = "qsv"


@dataclass(frozen=True)
class Capabilities:
    """``None`` for the inputs means whatever ffmpeg can demux and decode."""

    output_video_codecs: frozenset[str]
    output_audio_codecs: frozenset[str]
    hardware: HardwareKind
    input_containers: frozenset[str] | None = None
    input_video_codecs: frozenset[str] | None = None
    burn_subtitles: bool = False


@dataclass(frozen=True)
class Need:
    """What one job asks of a provider; unknown inputs (None) match any provider."""

    output_video_codec: str | None
    output_audio_codec: str | None
    input_container: str | None = None
    input_video_codec: str | None = None
    burn_subtitle: bool = False

    @classmethod
    def of(
        cls,
        params: TranscodeParams,
        *,
        input_container: str | None = None,
        input_video_codec: str | None = None,
    ) -> Need:
        return cls(
            output_video_codec=params.canonical_video_codec,
            output_audio_codec=params.canonical_audio_codec,
            input_container=input_container,
            input_video_codec=input_video_codec,
            burn_subtitle=params.burn_subtitle is not None,
        )


@dataclass(frozen=True)
class Provider:
    name: str
    capabilities: Capabilities
    priority: int
    max_concurrency: int
    video_encoders: Mapping[str, str] = field(default_factory=dict)  # codec → ffmpeg encoder
    audio_encoders: Mapping[str, str] = field(default_factory=dict)
    required_encoders: frozenset[str] = frozenset()  # without these the provider is unavailable
    hwaccel: str | None = None  # must be listed by ``ffmpeg -hwaccels``
    device: str | None = None
    trial_args: tuple[str, ...] = ()  # ffmpeg arguments of the one-frame trial; () = none

    @property
    def hardware(self) -> HardwareKind:
        return self.capabilities.hardware

    def video_encoder(self, codec: str) -> str | None:
        return self.video_encoders.get(codec)

    def audio_encoder(self, codec: str) -> str | None:
        return self.audio_encoders.get(codec)

    def unsupported(self, need: Need, encoders: frozenset[str] | None = None) -> str | None:
        """Why this provider cannot do ``need`` (None when it can). ``encoders``, when given,
        are the encoders this ffmpeg has; an output codec whose encoder is missing is refused."""
        caps = self.capabilities
        checks: list[tuple[str | None, frozenset[str] | None, str]] = [
            (need.input_container, caps.input_containers, "input container"),
            (need.input_video_codec, caps.input_video_codecs, "input video codec"),
        ]
        for value, allowed, what in checks:
            if value is not None and allowed is not None and value not in allowed:
                return f"{what} {value} not supported"
        for codec, allowed, table, what in (
            (need.output_video_codec, caps.output_video_codecs, self.video_encoders, "video"),
            (need.output_audio_codec, caps.output_audio_codecs, self.audio_encoders, "audio"),
        ):
            if codec is None:
                continue
            if codec not in allowed:
                return f"output {what} codec {codec} not supported"
            encoder = table.get(codec)
            if codec != COPY and encoders is not None and encoder and encoder not in encoders:
                return f"encoder {encoder} for {codec} not in this ffmpeg"
        if need.burn_subtitle and not caps.burn_subtitles:
            return "cannot burn in subtitles"
        return None


# -- the built-in providers ---------------------------------------------------------------------

_TRIAL_INPUT = ("-f", "lavfi", "-i", "color=c=black:s=64x64:r=25:d=0.2")
_TRIAL_OUTPUT = ("-frames:v", "1", "-f", "null", "-")
_AUDIO = {"aac": "aac", "mp3": "libmp3lame", "opus": "libopus", "ac3": "ac3", "flac": "flac"}
_AUDIO_OUT = frozenset({COPY, *_AUDIO})
VAAPI_DEVICE = "/dev/dri/renderD128"

SOFTWARE = Provider(
    name="software",
    capabilities=Capabilities(
        output_video_codecs=frozenset({COPY, "h264", "hevc"}),
        output_audio_codecs=_AUDIO_OUT,
        hardware=HardwareKind.SOFTWARE,
        burn_subtitles=True,
    ),
    priority=10,
    max_concurrency=2,
    video_encoders={"h264": "libx264", "hevc": "libx265"},
    audio_encoders=_AUDIO,
    required_encoders=frozenset({"libx264", "aac"}),
    trial_args=(*_TRIAL_INPUT, "-c:v", "libx264", "-preset", "ultrafast", *_TRIAL_OUTPUT),
)

NVENC = Provider(
    name="nvenc",
    capabilities=Capabilities(
        output_video_codecs=frozenset({COPY, "h264", "hevc"}),
        output_audio_codecs=_AUDIO_OUT,
        hardware=HardwareKind.NVENC,
        burn_subtitles=True,
    ),
    priority=30,
    max_concurrency=3,
    video_encoders={"h264": "h264_nvenc", "hevc": "hevc_nvenc"},
    audio_encoders=_AUDIO,
    required_encoders=frozenset({"h264_nvenc", "aac"}),
    hwaccel="cuda",
    trial_args=(*_TRIAL_INPUT, "-c:v", "h264_nvenc", *_TRIAL_OUTPUT),
)

VAAPI = Provider(
    name="vaapi",
    capabilities=Capabilities(
        output_video_codecs=frozenset({COPY, "h264", "hevc"}),
        output_audio_codecs=_AUDIO_OUT,
        hardware=HardwareKind.VAAPI,
        burn_subtitles=True,
    ),
    priority=20,
    max_concurrency=2,
    video_encoders={"h264": "h264_vaapi", "hevc": "hevc_vaapi"},
    audio_encoders=_AUDIO,
    required_encoders=frozenset({"h264_vaapi", "aac"}),
    hwaccel="vaapi",
    device=VAAPI_DEVICE,
    trial_args=(
        "-vaapi_device",
        VAAPI_DEVICE,
        *_TRIAL_INPUT,
        "-vf",
        "format=nv12,hwupload",
        "-c:v",
        "h264_vaapi",
        *_TRIAL_OUTPUT,
    ),
)

QSV = Provider(
    name="qsv",
    capabilities=Capabilities(
        output_video_codecs=frozenset({COPY, "h264", "hevc"}),
        output_audio_codecs=_AUDIO_OUT,
        hardware=HardwareKind.QSV,
        burn_subtitles=True,
    ),
    priority=25,
    max_concurrency=2,
    video_encoders={"h264": "h264_qsv", "hevc": "hevc_qsv"},
    audio_encoders=_AUDIO,
    required_encoders=frozenset({"h264_qsv", "aac"}),
    hwaccel="qsv",
    trial_args=(
        "-init_hw_device",
        "qsv=hw",
        "-filter_hw_device",
        "hw",
        *_TRIAL_INPUT,
        "-vf",
        "hwupload=extra_hw_frames=64,format=qsv",
        "-c:v",
        "h264_qsv",
        *_TRIAL_OUTPUT,
    ),
)

REMUX = Provider(
    name="remux",
    capabilities=Capabilities(
        output_video_codecs=frozenset({COPY}),
        output_audio_codecs=frozenset({COPY}),
        hardware=HardwareKind.NONE,
    ),
    priority=100,  # the cheapest by far: whenever copying does, it wins
    max_concurrency=4,
)

BUILT_IN: tuple[Provider, ...] = (REMUX, NVENC, QSV, VAAPI, SOFTWARE)


# -- what this machine has ----------------------------------------------------------------------


@dataclass(frozen=True)
class FfmpegFacts:
    """What an ffmpeg binary offers. ``trials`` maps a provider name to its trial's failure
    (None: it passed); a provider with trial arguments but no entry has not been tried."""

    version: str | None
    encoders: frozenset[str] = frozenset()
    hwaccels: frozenset[str] = frozenset()
    trials: Mapping[str, str | None] = field(default_factory=dict)


def unavailable_reason(provider: Provider, facts: FfmpegFacts) -> str | None:
    """Why ``provider`` cannot run on the machine ``facts`` describe (None: it can)."""
    if facts.version is None:
        return "ffmpeg not found"
    missing = sorted(provider.required_encoders - facts.encoders)
    if missing:
        return f"ffmpeg has no encoder {', '.join(missing)} (ffmpeg -encoders)"
    if provider.hwaccel and provider.hwaccel not in facts.hwaccels:
        return f"ffmpeg has no hwaccel {provider.hwaccel} (ffmpeg -hwaccels)"
    if provider.trial_args:
        if provider.name not in facts.trials:
            return "trial encode not run"
        failure = facts.trials[provider.name]
        if failure is not None:
            return f"trial encode failed: {failure}"
    return None


_ENCODER_LINE = re.compile(r"^\s*[VAS][A-Z.]{5}\s+(\S+)")


def parse_encoders(text: str) -> frozenset[str]:
    """Encoder names from ``ffmpeg -encoders`` (lines like `` V....D libx264  ...``)."""
    names = set()
    for line in text.splitlines():
        m = _ENCODER_LINE.match(line)
        if m and m.group(1) != "=":
            names.add(m.group(1))
    return frozenset(names)


def parse_hwaccels(text: str) -> frozenset[str]:
    lines = [line.strip() for line in text.splitlines()]
    if "Hardware acceleration methods:" in lines:
        lines = lines[lines.index("Hardware acceleration methods:") + 1 :]
    return frozenset(line for line in lines if line and " " not in line)


def _run(args: Sequence[str], timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(args), capture_output=True, text=True, timeout=timeout, check=False, stdin=None
    )


def _last_line(text: str) -> str:
    """ffmpeg's first error (the cause, e.g. "Cannot load libcuda.so.1") and its last."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return "no output"
    summary = lines[0] if len(lines) == 1 else f"{lines[0]} … {lines[-1]}"
    return summary[:400]


def probe_ffmpeg(
    providers: Sequence[Provider] = BUILT_IN, ffmpeg: str = "ffmpeg", timeout: float = 20.0
) -> FfmpegFacts:
    """Ask the real ffmpeg: version, ``-encoders``, ``-hwaccels``, then a one-frame trial encode
    for each provider whose encoders and hwaccel are there."""
    base = [ffmpeg, "-hide_banner", "-nostdin"]
    try:
        version = _run([ffmpeg, "-version"], timeout)
    except (OSError, subprocess.TimeoutExpired):
        return FfmpegFacts(version=None)
    if version.returncode != 0:
        return FfmpegFacts(version=None)
    first = version.stdout.splitlines()[0] if version.stdout else ""
    m = re.match(r"ffmpeg version (\S+)", first)
    encoders = parse_encoders(_run([*base, "-encoders"], timeout).stdout)
    hwaccels = parse_hwaccels(_run([*base, "-hwaccels"], timeout).stdout)
    facts = FfmpegFacts(version=m.group(1) if m else first, encoders=encoders, hwaccels=hwaccels)
    trials: dict[str, str | None] = {}
    for provider in providers:
        if not provider.trial_args:
            continue
        if provider.required_encoders - encoders or (
            provider.hwaccel and provider.hwaccel not in hwaccels
        ):
            continue
        try:
            done = _run([*base, "-loglevel", "error", *provider.trial_args], timeout)
        except subprocess.TimeoutExpired:
            trials[provider.name] = f"timed out after {timeout:g}s"
            continue
        trials[provider.name] = None if done.returncode == 0 else _last_line(done.stderr)
    return FfmpegFacts(version=facts.version, encoders=encoders, hwaccels=hwaccels, trials=trials)


# -- selection ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProviderStatus:
    """One row of ``GET /transcode/providers``."""

    name: str
    available: bool
    reason: str | None
    hardware: str
    priority: int
    max_concurrency: int
    running: int
    output_video_codecs: tuple[str, ...]
    output_audio_codecs: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "available": self.available,
            "reason": self.reason,
            "hardware": self.hardware,
            "priority": self.priority,
            "max_concurrency": self.max_concurrency,
            "running": self.running,
            "output_video_codecs": list(self.output_video_codecs),
            "output_audio_codecs": list(self.output_audio_codecs),
        }


class NoProvider(RuntimeError):
    """No provider can take the job; ``reasons`` says, per provider, why."""

    def __init__(self, reasons: Mapping[str, str]) -> None:
        self.reasons = dict(reasons)
        detail = "; ".join(f"{name}: {why}" for name, why in self.reasons.items())
        super().__init__(f"no transcode provider can run this job ({detail})")


def choose(
    providers: Sequence[Provider],
    facts: FfmpegFacts,
    need: Need,
    running: Mapping[str, int] | None = None,
) -> tuple[Provider, dict[str, str]]:
    """The provider for ``need``: available, supporting it, not full; highest priority first,
    then least loaded. Returns it with the reasons the others were skipped; raises
    :class:`NoProvider` when none fits."""
    running = running or {}
    skipped: dict[str, str] = {}
    fits: list[Provider] = []
    for provider in providers:
        reason = unavailable_reason(provider, facts) or provider.unsupported(need, facts.encoders)
        load = running.get(provider.name, 0)
        if reason is None and load >= provider.max_concurrency:
            reason = f"busy ({load}/{provider.max_concurrency} jobs)"
        if reason is None:
            fits.append(provider)
        else:
            skipped[provider.name] = reason
    if not fits:
        raise NoProvider(skipped)
    fits.sort(key=lambda p: (-p.priority, running.get(p.name, 0) / p.max_concurrency, p.name))
    return fits[0], skipped


class Registry:
    """The providers of one process, the machine's facts (probed once, lazily) and the jobs each
    provider is running now."""

    def __init__(
        self,
        providers: Sequence[Provider] = BUILT_IN,
        facts: FfmpegFacts | Callable[[], FfmpegFacts] | None = None,
        ffmpeg: str = "ffmpeg",
    ) -> None:
        self.providers = tuple(providers)
        self._facts = facts
        self._ffmpeg = ffmpeg
        self._running: dict[str, int] = {p.name: 0 for p in self.providers}
        self._lock = threading.Lock()

    @property
    def facts(self) -> FfmpegFacts:
        with self._lock:
            if self._facts is None:
                self._facts = probe_ffmpeg(self.providers, self._ffmpeg)
            elif callable(self._facts):
                self._facts = self._facts()
            return self._facts

    def describe(self) -> list[ProviderStatus]:
        facts = self.facts
        with self._lock:
            running = dict(self._running)
        rows = []
        for p in sorted(self.providers, key=lambda p: -p.priority):
            reason = unavailable_reason(p, facts)
            rows.append(
                ProviderStatus(
                    name=p.name,
                    available=reason is None,
                    reason=reason,
                    hardware=p.hardware.value,
                    priority=p.priority,
                    max_concurrency=p.max_concurrency,
                    running=running.get(p.name, 0),
                    output_video_codecs=tuple(sorted(p.capabilities.output_video_codecs)),
                    output_audio_codecs=tuple(sorted(p.capabilities.output_audio_codecs)),
                )
            )
        return rows

    def select(self, need: Need) -> Provider:
        facts = self.facts
        with self._lock:
            return choose(self.providers, facts, need, self._running)[0]

    @contextmanager
    def acquire(self, need: Need) -> Iterator[Provider]:
        """Select a provider and count the job against it until the block ends."""
        facts = self.facts
        with self._lock:
            provider, _ = choose(self.providers, facts, need, self._running)
            self._running[provider.name] += 1
        try:
            yield provider
        finally:
            with self._lock:
                self._running[provider.name] -= 1
