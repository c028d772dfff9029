"""External subtitle files beside a video, as :class:`MediaStream` records.

Naming follows Jellyfin and Kodi: ``<video stem>[.<token>...].<ext>``, where the tokens, in any
order, are a language (``en``, ``eng``, ``fre``, ``English``), ``forced``, ``default``, and a
hearing-impaired flag (``sdh``, ``cc``, ``hi``). Flags are read before languages because ``hi``
and ``sdh`` are also language codes (Hindi, Southern Kurdish) and in a subtitle's name they
practically never are. Languages come out as ISO 639-2/T codes, like the prober's.
"""

from __future__ import annotations

from babelfish import Error as BabelfishError
from babelfish import Language

from viewra.media.models.items import MediaStream, StreamType
from viewra.media.scrapers.keys import basename, folder, stem

CODECS = {"srt": "subrip", "vtt": "webvtt", "ass": "ass", "ssa": "ssa"}
HEARING_IMPAIRED = {"sdh", "cc", "hi"}


def subtitle_streams(
    video_key: str, sibling_keys: list[str], first_index: int = 0
) -> list[MediaStream]:
    """The subtitles named after ``video_key`` in its folder, sorted by key, indexed from
    ``first_index`` (after the embedded streams)."""
    base = stem(video_key).casefold() + "."
    where = folder(video_key)
    streams = []
    for key in sorted(k for k in sibling_keys if folder(k) == where):
        name = basename(key)
        head, _, ext = name.rpartition(".")
        codec = CODECS.get(ext.lower())
        if codec is None or not (head + ".").casefold().startswith(base):
            continue
        tokens = [t for t in head[len(base) - 1 :].split(".") if t]
        stream = _stream(tokens, first_index + len(streams), codec, key)
        if stream is not None:
            streams.append(stream)
    return streams


def _stream(tokens: list[str], index: int, codec: str, key: str) -> MediaStream | None:
    language = None
    flags: set[str] = set()
    for token in tokens:
        lowered = token.lower()
        if lowered in {"forced", "foreign"}:
            flags.add("forced")
        elif lowered == "default":
            flags.add("default")
        elif lowered in HEARING_IMPAIRED:
            flags.add("hi")
        elif language is None and (code := language_code(token)):
            language = code
        else:
            return None  # "Movie.Part2.srt" is another video's subtitle, not this one's
    return MediaStream(
        index=index,
        type=StreamType.SUBTITLE,
        codec=codec,
        language=language,
        title=None,
        default="default" in flags,
        forced="forced" in flags,
        hearing_impaired="hi" in flags,
        external=True,
        external_key=key,
    )


def language_code(token: str) -> str | None:
    """ISO 639-2/T for a 2-letter, 3-letter (T or B) code or an English name; else None.

    3-letter codes must be ISO 639-2 (have a 639-1 or 639-2/B form): 639-3 has a code for
    almost every three letters, which would read "eng.sdh" noise as languages.
    """
    token = token.strip()
    try:
        if len(token) == 2 and token.isalpha():
            return Language.fromalpha2(token.lower()).alpha3
        if len(token) == 3 and token.isalpha():
            lowered = token.lower()
            try:
                return Language.fromalpha3b(lowered).alpha3
            except (BabelfishError, ValueError, KeyError):
                lang = Language(lowered)
                lang.alpha2  # noqa: B018 - raises when the code is 639-3 only
                return lang.alpha3
        if token.isalpha():
            return Language.fromname(token.capitalize()).alpha3
    except (BabelfishError, ValueError, KeyError):
        return None
    return None
