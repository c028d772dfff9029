"""MediaInfo's vocabulary → Viewra's (ffmpeg's): containers, codecs, layouts, colour, HDR.

MediaInfo names formats for people ("AVC", "MPEG Audio" + "Layer 3", "MLP FBA"); device profiles
and the transcoder speak ffmpeg ("h264", "mp3", "truehd"). Every translation lives here, as tables
and small functions over one pymediainfo ``Track``, so a new format is one row.

Language codes are ISO 639-2/T three-letter codes as MediaInfo reports them (``eng``, ``deu``,
``fra``; never the 639-2/B ``ger``/``fre`` that Matroska stores): MediaInfo normalises every
container's code to one spelling, and keeping its spelling keeps the rule simple. A region suffix
(``en-US``) is dropped; ``und`` / missing is ``None``.
"""

from __future__ import annotations

import re
from typing import Any

from viewra.media.models.items import MediaStream, StreamType

Track = Any  # pymediainfo.Track: attribute access, None for absent fields

CONTAINERS: dict[str, str] = {
    "matroska": "mkv",
    "webm": "webm",
    "mpeg-ts": "ts",
    "bdav": "m2ts",
    "mpeg-ps": "mpeg",
    "avi": "avi",
    "mpeg audio": "mp3",
    "flac": "flac",
    "ogg": "ogg",
    "wave": "wav",
    "wave64": "w64",
    "adts": "aac",
    "adif": "aac",
    "ac-3": "ac3",
    "e-ac-3": "eac3",
    "dts": "dts",
    "flash video": "flv",
    "windows media": "asf",
    "aiff": "aiff",
    "monkey's audio": "ape",
    "wavpack": "wv",
    "musepack sv7": "mpc",
    "musepack sv8": "mpc",
    "dsf": "dsf",
    "realmedia": "rm",
    "dv": "dv",
    "mxf": "mxf",
    "ivf": "ivf",
    "amr": "amr",
    "opus": "ogg",
}

VIDEO_CODECS: dict[str, str] = {
    "avc": "h264",
    "hevc": "hevc",
    "vp8": "vp8",
    "vp9": "vp9",
    "av1": "av1",
    "mpeg-4 visual": "mpeg4",
    "vc-1": "vc1",
    "prores": "prores",
    "jpeg": "mjpeg",
    "png": "png",
    "h.263": "h263",
    "theora": "theora",
    "ffv1": "ffv1",
    "dv": "dvvideo",
    "vvc": "vvc",
    "realvideo 4": "rv40",
    "wmv1": "wmv1",
    "wmv2": "wmv2",
    "dnxhd": "dnxhd",
    "vc-3": "dnxhd",
}

AUDIO_CODECS: dict[str, str] = {
    "aac": "aac",
    "ac-3": "ac3",
    "e-ac-3": "eac3",
    "dts": "dts",
    "mlp fba": "truehd",
    "truehd": "truehd",
    "mlp": "mlp",
    "opus": "opus",
    "vorbis": "vorbis",
    "flac": "flac",
    "alac": "alac",
    "wma": "wmav2",
    "amr": "amr_nb",
    "speex": "speex",
    "monkey's audio": "ape",
    "wavpack": "wavpack",
    "ac-4": "ac4",
    "dsd": "dsd_lsbf",
}

SUBTITLE_CODECS: dict[str, str] = {
    "utf-8": "subrip",
    "subrip": "subrip",
    "ass": "ass",
    "ssa": "ass",
    "webvtt": "webvtt",
    "timed text": "mov_text",
    "pgs": "hdmv_pgs_subtitle",
    "vobsub": "dvd_subtitle",
    "rle": "dvd_subtitle",
    "dvb subtitle": "dvb_subtitle",
    "teletext": "dvb_teletext",
    "teletext subtitle": "dvb_teletext",
    "ttml": "ttml",
    "eia-608": "eia_608",
    "eia-708": "eia_608",
    "kate": "kate",
}

# Subtitle formats identified better by Matroska codec id than by MediaInfo's format name.
SUBTITLE_CODEC_IDS: dict[str, str] = {
    "s_text/utf8": "subrip",
    "s_text/ass": "ass",
    "s_text/ssa": "ass",
    "s_text/webvtt": "webvtt",
    "s_hdmv/pgs": "hdmv_pgs_subtitle",
    "s_vobsub": "dvd_subtitle",
    "tx3g": "mov_text",
    "wvtt": "webvtt",
    "stpp": "ttml",
}

COLOR_PRIMARIES: dict[str, str] = {
    "bt.709": "bt709",
    "bt.2020": "bt2020",
    "bt.601 ntsc": "smpte170m",
    "bt.601 pal": "bt470bg",
    "bt.470 system m": "bt470m",
    "bt.470 system b/g": "bt470bg",
    "smpte 240m": "smpte240m",
    "display p3": "smpte432",
    "dci p3": "smpte431",
    "generic film": "film",
    "xyz": "smpte428",
}

COLOR_TRANSFERS: dict[str, str] = {
    "bt.709": "bt709",
    "pq": "smpte2084",
    "smpte st 2084": "smpte2084",
    "hlg": "arib-std-b67",
    "arib std-b67": "arib-std-b67",
    "bt.601": "smpte170m",
    "bt.470 system m": "gamma22",
    "bt.470 system b/g": "gamma28",
    "smpte 240m": "smpte240m",
    "linear": "linear",
    "srgb/sycc": "iec61966-2-1",
    "xvycc": "iec61966-2-4",
    "bt.2020 (10-bit)": "bt2020-10",
    "bt.2020 (12-bit)": "bt2020-12",
}

AAC_PROFILES: dict[str, str] = {
    "lc": "LC",
    "lc sbr": "HE-AAC",
    "lc sbr ps": "HE-AACv2",
    "he-aac": "HE-AAC",
    "he-aacv2": "HE-AACv2",
    "main": "Main",
    "ssr": "SSR",
    "ltp": "LTP",
    "er aac ld": "LD",
    "er aac eld": "ELD",
}

CHANNEL_LAYOUTS: dict[tuple[int, bool], str] = {
    (1, False): "mono",
    (2, False): "stereo",
    (3, True): "2.1",
    (3, False): "3.0",
    (4, False): "4.0",
    (4, True): "3.1",
    (5, False): "5.0",
    (5, True): "4.1",
    (6, True): "5.1",
    (6, False): "6.0",
    (7, True): "6.1",
    (7, False): "7.0",
    (8, True): "7.1",
    (8, False): "octagonal",
}

IMAGE_FORMATS = frozenset({"jpeg", "png", "bmp", "gif", "webp", "tiff"})

_FOURCC = re.compile(r"^[A-Za-z0-9 ._]{4}$")


def _lower(value: object) -> str:
    return str(value).strip().lower() if value is not None else ""


def to_int(value: object) -> int | None:
    """MediaInfo numbers arrive as int, float or string ("1920", "48000 / 44100", "25.000")."""
    if value is None:
        return None
    if isinstance(value, int):
        return value
    text = str(value).split("/")[0].strip()
    try:
        return int(float(text))
    except ValueError:
        return None


def to_float(value: object) -> float | None:
    if value is None:
        return None
    try:
        return float(str(value).split("/")[0].strip())
    except ValueError:
        return None


def is_yes(value: object) -> bool:
    return _lower(value) == "yes"


def container_name(general: Track) -> str | None:
    """One ffmpeg-style token; MPEG-4 is told apart by its brand (``qt``→mov, ``M4A``→m4a)."""
    fmt = _lower(general.format)
    if not fmt:
        return None
    if fmt == "mpeg-4":
        brand = _lower(general.codec_id)
        if _lower(general.format_profile) == "quicktime" or brand.startswith("qt"):
            return "mov"
        if brand.startswith(("m4a", "m4b", "m4p")):
            return "m4a"
        if brand.startswith("3g"):
            return "3gp"
        return "mp4"
    return CONTAINERS.get(fmt, fmt.replace(" ", "_"))


def duration_seconds(track: Track) -> float | None:
    """MediaInfo's durations are milliseconds (int, or a float string for some containers)."""
    millis = to_float(track.duration)
    return round(millis / 1000.0, 3) if millis is not None and millis > 0 else None


def language(track: Track) -> str | None:
    """The ISO 639-2/T code (see the module docstring), or None when absent or undetermined."""
    spellings = [s for s in (track.other_language or []) if isinstance(s, str)]
    candidates = [*spellings[3:4], *(s for s in spellings if len(s.split("-")[0]) == 3)]
    candidates.append(_lower(track.language))
    for candidate in candidates:
        code = candidate.split("-")[0].strip().lower()
        if len(code) == 3 and code.isalpha():
            return None if code in {"und", "zxx", "mis", "mul"} else code
    raw = _lower(track.language).split("-")[0]
    return raw or None


def codec_tag(track: Track) -> str | None:
    """The sample entry / fourcc (``avc1``, ``hvc1``, ``mp4a``); Matroska ids are not fourccs."""
    codec_id = str(track.codec_id or "").split("-")[0]
    return codec_id if _FOURCC.match(codec_id) else None


def video_codec(track: Track) -> str | None:
    fmt = _lower(track.format)
    if fmt == "mpeg video":
        return "mpeg1video" if "1" in _lower(track.format_version) else "mpeg2video"
    if fmt in {"wmv", "wmv3"} or _lower(track.codec_id) == "wmv3":
        return "wmv3"
    return VIDEO_CODECS.get(fmt, fmt.replace(" ", "_") or None)


def audio_codec(track: Track) -> str | None:
    fmt = _lower(track.format)
    if fmt == "mpeg audio":
        layer = _lower(track.format_profile)
        return {"layer 1": "mp1", "layer 2": "mp2"}.get(layer, "mp3")
    if fmt == "pcm":
        return pcm_codec(track)
    return AUDIO_CODECS.get(fmt, fmt.replace(" ", "_") or None)


def pcm_codec(track: Track) -> str:
    """``pcm_s16le`` and friends, from sign, bit depth and endianness (WAV defaults: LE, signed)."""
    depth = to_int(track.bit_depth) or 16
    if _lower(track.format_settings__sign) == "float" or "float" in _lower(track.format_profile):
        kind = "f"
    elif depth == 8:
        kind = "u" if _lower(track.format_settings__sign) != "signed" else "s"
    else:
        kind = "u" if _lower(track.format_settings__sign) == "unsigned" else "s"
    if depth == 8:
        return f"pcm_{kind}8"
    endian = "be" if _lower(track.format_settings__endianness) == "big" else "le"
    return f"pcm_{kind}{depth}{endian}"


def subtitle_codec(track: Track) -> str | None:
    by_id = SUBTITLE_CODEC_IDS.get(_lower(track.codec_id))
    if by_id:
        return by_id
    fmt = _lower(track.format)
    return SUBTITLE_CODECS.get(fmt, fmt.replace(" ", "_") or None)


def profile_and_level(track: Track) -> tuple[str | None, float | None]:
    """``"High@L4.1"`` → ("High", 4.1); ``"Main 10@L5.1@High"`` → ("Main 10", 5.1)."""
    raw = str(track.format_profile or "")
    parts = [p.strip() for p in raw.split("@")] if raw else []
    profile = parts[0] if parts else None
    level_text = next((p[1:] for p in parts[1:] if p[:1] in {"L", "l"}), None)
    level_text = level_text or (str(track.format_level) if track.format_level else None)
    level = to_float(level_text) if level_text else None
    return profile or None, level


def audio_profile(track: Track) -> str | None:
    fmt = _lower(track.format)
    if fmt == "aac":
        features = _lower(track.format_additionalfeatures)
        return AAC_PROFILES.get(features, track.format_additionalfeatures or None)
    if fmt in {"dts", "mlp fba", "e-ac-3", "ac-3"}:
        commercial = track.commercial_name or None
        return str(commercial) if commercial and _lower(commercial) != fmt else None
    profile, _ = profile_and_level(track)
    return profile if fmt not in {"mpeg audio"} else None


def channel_layout(track: Track, channels: int | None) -> str | None:
    """ffmpeg's layout name from the channel count and whether an LFE channel is present."""
    if not channels:
        return None
    positions = f"{_lower(track.channel_layout)} {_lower(track.channel_positions)}"
    has_lfe = "lfe" in positions
    if channels == 1 or (channels == 2 and not has_lfe):
        return CHANNEL_LAYOUTS[(channels, False)]
    return CHANNEL_LAYOUTS.get((channels, has_lfe), f"{channels} channels")


def pixel_format(track: Track) -> str | None:
    """``yuv420p``, ``yuv420p10le``, ``gray``… from colour space, chroma subsampling, depth."""
    depth = to_int(track.bit_depth) or 8
    space = _lower(track.color_space)
    chroma = _lower(track.chroma_subsampling).split(" ")[0]
    suffix = "" if depth == 8 else f"{depth}le"
    if space in {"y", "gray"}:
        return "gray" if depth == 8 else f"gray{depth}le"
    if space == "rgb":
        return "rgb24" if depth == 8 else f"gbrp{depth}le"
    family = {"4:2:0": "yuv420p", "4:2:2": "yuv422p", "4:4:4": "yuv444p", "4:1:1": "yuv411p"}
    base = family.get(chroma)  # no chroma subsampling given: unknown rather than a guess
    return f"{base}{suffix}" if base else None


def video_range_type(track: Track) -> str:
    """Jellyfin's VideoRangeType: DOVI variants, HDR10Plus, HDR10, HLG or SDR."""
    fields = (track.hdr_format, track.hdr_format_commercial, track.hdr_format_compatibility)
    hdr = " ".join(_lower(v) for v in fields)
    transfer = _lower(track.transfer_characteristics)
    pq = transfer in {"pq", "smpte st 2084"} or "hdr10" in hdr
    hlg = transfer in {"hlg", "arib std-b67"}
    if "dolby vision" in hdr:
        if pq:
            return "DOVIWithHDR10"
        if hlg:
            return "DOVIWithHLG"
        if "sdr" in hdr or transfer == "bt.709":
            return "DOVIWithSDR"
        return "DOVI"
    if "hdr10+" in hdr or "2094 app 4" in hdr:
        return "HDR10Plus"
    if pq:
        return "HDR10"
    if hlg:
        return "HLG"
    return "SDR"


def interlaced(track: Track) -> bool | None:
    scan = _lower(track.scan_type)
    if not scan:
        return None
    return scan in {"interlaced", "mbaff", "mixed"}


def aspect_ratio(track: Track) -> str | None:
    """``"16:9"`` when MediaInfo names it, else the ratio to three decimals (``"2.390"``)."""
    named = next((s for s in (track.other_display_aspect_ratio or []) if ":" in str(s)), None)
    if named:
        return str(named)
    ratio = to_float(track.display_aspect_ratio)
    return f"{ratio:.3f}" if ratio else None


def anamorphic(track: Track) -> bool | None:
    par = to_float(track.pixel_aspect_ratio)
    return None if par is None else abs(par - 1.0) > 0.01


def rotation(track: Track) -> int | None:
    """Degrees 0-359 as MediaInfo reads the track matrix (counter-clockwise: a file ffmpeg 5.1
    tagged ``rotate=90`` reads 270 here and ``rotation: 90`` in ffprobe's side data)."""
    degrees = to_float(track.rotation)
    return None if degrees is None else round(degrees) % 360


def frame_rate(track: Track) -> float | None:
    rate = to_float(track.frame_rate) or to_float(track.original_frame_rate)
    return round(rate, 3) if rate else None


def is_cover_track(track: Track) -> bool:
    """A still picture stored as a video track (attached pic): artwork, not a stream to play."""
    if _lower(track.format) not in IMAGE_FORMATS:
        return False
    frames = to_int(track.frame_count)
    return frames is None or frames <= 1


def _common(track: Track, index: int, kind: StreamType) -> dict[str, Any]:
    return {
        "index": index,
        "type": kind,
        "codec_tag": codec_tag(track),
        "bitrate": to_int(track.bit_rate) or to_int(track.nominal_bit_rate),
        "language": language(track),
        "title": track.title or None,
        "default": is_yes(track.default),
        "forced": is_yes(track.forced),
    }


# ffprobe's level units, which device profiles (Jellyfin's VideoLevel) compare against: H.264
# writes level_idc (4.1 -> 41), HEVC general_level_idc (5.1 -> 153); others keep MediaInfo's value.
_LEVEL_SCALE = {"h264": 10, "hevc": 30}


def ffprobe_level(codec: str | None, level: float | None) -> float | None:
    """MediaInfo's level (``4.1``) in ffprobe's units for ``codec`` (``41`` for H.264)."""
    if level is None:
        return None
    scale = _LEVEL_SCALE.get(codec or "")
    return float(round(level * scale)) if scale else level


def video_stream(track: Track, index: int) -> MediaStream:
    profile, level = profile_and_level(track)
    codec = video_codec(track)
    if _lower(track.format) == "vp9" and profile and profile.isdigit():
        profile = f"Profile {profile}"
    range_type = video_range_type(track)
    return MediaStream(
        **_common(track, index, StreamType.VIDEO),
        codec=codec,
        profile=profile,
        level=ffprobe_level(codec, level),
        width=to_int(track.width),
        height=to_int(track.height),
        frame_rate=frame_rate(track),
        bit_depth=to_int(track.bit_depth),
        pixel_format=pixel_format(track),
        video_range="SDR" if range_type == "SDR" else "HDR",
        video_range_type=range_type,
        color_primaries=COLOR_PRIMARIES.get(_lower(track.color_primaries))
        or (_lower(track.color_primaries) or None),
        color_transfer=COLOR_TRANSFERS.get(_lower(track.transfer_characteristics))
        or (_lower(track.transfer_characteristics) or None),
        rotation=rotation(track),
        interlaced=interlaced(track),
        anamorphic=anamorphic(track),
        aspect_ratio=aspect_ratio(track),
        ref_frames=to_int(track.format_settings__reference_frames),
    )


def audio_stream(track: Track, index: int) -> MediaStream:
    channels = to_int(track.channel_s)
    return MediaStream(
        **_common(track, index, StreamType.AUDIO),
        codec=audio_codec(track),
        profile=audio_profile(track),
        channels=channels,
        channel_layout=channel_layout(track, channels),
        sample_rate=to_int(track.sampling_rate),
        bit_depth=to_int(track.bit_depth) if _lower(track.compression_mode) == "lossless" else None,
    )


def subtitle_stream(track: Track, index: int) -> MediaStream:
    return MediaStream(
        **_common(track, index, StreamType.SUBTITLE),
        codec=subtitle_codec(track),
    )
