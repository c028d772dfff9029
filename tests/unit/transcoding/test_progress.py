"""Parsing ``ffmpeg -progress`` output as ffmpeg 5.1 writes it."""

from __future__ import annotations

from viewra.transcoding.progress import ProgressParser, Throttle

BLOCKS = """frame=120
fps=48.00
stream_0_0_q=-1.0
bitrate=N/A
total_size=N/A
out_time_us=4800000
out_time_ms=4800000
out_time=00:00:04.800000
dup_frames=0
drop_frames=0
speed=1.92x
progress=continue
frame=250
fps=49.10
stream_0_0_q=-1.0
bitrate=N/A
total_size=N/A
out_time_us=10007800
out_time_ms=10007800
out_time=00:00:10.007800
dup_frames=0
drop_frames=0
speed=1.96x
progress=end
"""


def test_blocks_become_progress_with_percent_and_eta() -> None:
    first, last = ProgressParser(duration=10.0).parse(BLOCKS.splitlines())
    assert first.frame == 120 and first.fps == 48.0 and first.speed == 1.92
    assert first.out_time == 4.8 and first.percent == 48.0
    assert first.eta_seconds == round(5.2 / 1.92, 1)
    assert not first.done
    assert last.done and last.percent == 100.0 and last.eta_seconds == 0.0


def test_unknown_duration_gives_no_percent() -> None:
    [first, _] = ProgressParser().parse(BLOCKS.splitlines())
    assert first.percent is None and first.eta_seconds is None and first.out_time == 4.8


def test_not_yet_known_values() -> None:
    text = "frame=0\nfps=0.00\nout_time_us=N/A\nout_time=-577014:32:22.775808\nspeed=N/A\n"
    [p] = ProgressParser(duration=60).parse([*text.splitlines(), "progress=continue"])
    assert p.out_time == 0.0 and p.speed is None and p.percent == 0.0 and p.eta_seconds is None


def test_percent_stays_below_100_until_the_end() -> None:
    text = ["out_time_us=10500000", "speed=2x", "progress=continue"]
    [p] = ProgressParser(duration=10.0).parse(text)
    assert p.percent == 99.9 and p.eta_seconds == 0.0


def test_throttle() -> None:
    now = [0.0]
    throttle = Throttle(1.0, clock=lambda: now[0])
    ticks = []
    for step in range(30):
        now[0] = step * 0.1
        ticks.append(throttle.ready())
    assert sum(ticks) == 3  # at 0.0, 1.0, 2.0
