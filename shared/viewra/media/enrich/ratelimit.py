"""Client-side rate limits, so we stay inside what each service allows instead of being banned.

MusicBrainz allows one request per second per client (and blocks those that go faster); TMDB
about 40 requests per 10 seconds. Both are a sliding window of ``calls`` per ``period``: a
request waits until the oldest of the last ``calls`` is ``period`` old. Clock and sleep are
injectable so tests of callers can run on real time (short) and of the limiter on fake time.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class RateLimiter:
    def __init__(
        self,
        calls: int,
        period: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if calls < 1 or period <= 0:
            raise ValueError("a rate limit needs calls >= 1 and period > 0")
        self.calls = calls
        self.period = period
        self._clock = clock
        self._sleep = sleep
        self._sent: deque[float] = deque()
        self._lock = threading.Lock()

    def acquire(self) -> None:
        """Block until one more request fits in the window, then count it."""
        with self._lock:
            while True:
                now = self._clock()
                while self._sent and now - self._sent[0] >= self.period:
                    self._sent.popleft()
                if len(self._sent) < self.calls:
                    self._sent.append(now)
                    return
                self._sleep(self.period - (now - self._sent[0]))


def musicbrainz_limiter() -> RateLimiter:
    return RateLimiter(1, 1.0)


def tmdb_limiter() -> RateLimiter:
    return RateLimiter(40, 10.0)
