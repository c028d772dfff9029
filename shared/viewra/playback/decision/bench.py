"""Timing ``decide`` on typical items against every built-in profile.

``python -m viewra.playback.decision.bench [iterations]`` prints p50/p95 per profile and item.
Profiles
are parsed before timing starts (``load_builtin_profiles`` caches them), as in the API, so the
numbers are the per-request cost. The target is p50 <= 1 ms per call.
"""

from __future__ import annotations

import contextlib
import statistics
import sys
import time

from viewra.media.models.items import MediaItem
from viewra.playback.decision.decide import decide
from viewra.playback.decision.outcome import NoCompatibleStreamError
from viewra.playback.decision.profiles import load_builtin_profiles


def _item(name: str, container: str, bitrate: int, kind: str, streams: list[dict]) -> MediaItem:
    return MediaItem.model_validate(
        {
            "id": name,
            "library_id": "bench",
            "bucket": "bench",
            "key": f"bench/{name}",
            "etag": "bench",
            "kind": kind,
            "container": container,
            "bitrate": bitrate,
            "streams": streams,
        }
    )


TYPICAL_ITEMS: dict[str, MediaItem] = {
    "h264-1080p-mp4": _item(
        "h264-1080p-mp4",
        "mp4",
        8_000_000,
        "movie",
        [
            {
                "index": 0,
                "type": "video",
                "codec": "h264",
                "width": 1920,
                "height": 1080,
                "bit_depth": 8,
                "profile": "High",
                "level": 41,
                "video_range_type": "SDR",
                "frame_rate": 23.976,
                "codec_tag": "avc1",
            },
            {
                "index": 1,
                "type": "audio",
                "codec": "aac",
                "channels": 2,
                "bitrate": 160_000,
                "default": True,
                "language": "eng",
            },
        ],
    ),
    "hevc-4k-hdr-mkv": _item(
        "hevc-4k-hdr-mkv",
        "mkv",
        30_000_000,
        "movie",
        [
            {
                "index": 0,
                "type": "video",
                "codec": "hevc",
                "width": 3840,
                "height": 2160,
                "bit_depth": 10,
                "profile": "Main 10",
                "level": 153,
                "video_range_type": "HDR10",
                "frame_rate": 23.976,
                "codec_tag": "hev1",
            },
            {
                "index": 1,
                "type": "audio",
                "codec": "eac3",
                "channels": 6,
                "bitrate": 640_000,
                "default": True,
                "language": "eng",
            },
            {
                "index": 2,
                "type": "audio",
                "codec": "aac",
                "channels": 2,
                "bitrate": 160_000,
                "language": "eng",
                "title": "Commentary",
            },
            {"index": 3, "type": "subtitle", "codec": "subrip", "language": "eng"},
            {
                "index": 4,
                "type": "subtitle",
                "codec": "hdmv_pgs_subtitle",
                "language": "eng",
                "forced": True,
            },
        ],
    ),
    "flac-track": _item(
        "flac-track",
        "flac",
        1_000_000,
        "track",
        [{"index": 0, "type": "audio", "codec": "flac", "channels": 2, "sample_rate": 44100}],
    ),
}


def measure(iterations: int = 1000) -> dict[tuple[str, str], tuple[float, float]]:
    """(profile, item) -> (p50, p95) in microseconds per ``decide`` call."""
    profiles = load_builtin_profiles()
    results: dict[tuple[str, str], tuple[float, float]] = {}
    clock = time.perf_counter
    for pname, profile in profiles.items():
        for iname, item in TYPICAL_ITEMS.items():
            samples = []
            # A profile that cannot play an item (Swiftfin has no audio transcoding) answers
            # with NoCompatibleStreamError, which the API turns into a 422: timed all the same.
            for i in range(iterations + 1):
                start = clock()
                with contextlib.suppress(NoCompatibleStreamError):
                    decide(item, profile)
                if i:  # the first call warms up
                    samples.append((clock() - start) * 1e6)
            samples.sort()
            results[(pname, iname)] = (
                statistics.median(samples),
                samples[int(len(samples) * 0.95) - 1],
            )
    return results


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    iterations = int(args[0]) if args else 1000
    results = measure(iterations)
    print(f"{'profile':<22} {'item':<18} {'p50 us':>8} {'p95 us':>8}")
    for (pname, iname), (p50, p95) in results.items():
        print(f"{pname:<22} {iname:<18} {p50:8.1f} {p95:8.1f}")
    overall = statistics.median(p50 for p50, _ in results.values())
    print(f"median of p50s: {overall:.1f} us")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
