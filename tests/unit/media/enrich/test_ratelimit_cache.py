"""The limiter's window and the cache's expiry, on a fake clock."""

from __future__ import annotations

from viewra.media.enrich.cache import MemoryCache
from viewra.media.enrich.ratelimit import RateLimiter, tmdb_limiter


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 6))
        self.now += seconds


def test_a_window_of_40_per_10_seconds_lets_40_through_then_waits() -> None:
    clock = FakeClock()
    limiter = RateLimiter(40, 10.0, clock=clock, sleep=clock.sleep)
    for _ in range(40):
        limiter.acquire()
    assert clock.slept == []
    limiter.acquire()
    assert clock.slept == [10.0]
    assert (tmdb_limiter().calls, tmdb_limiter().period) == (40, 10.0)


def test_one_per_second_spaces_requests_by_a_second() -> None:
    clock = FakeClock()
    limiter = RateLimiter(1, 1.0, clock=clock, sleep=clock.sleep)
    limiter.acquire()
    clock.now += 0.25
    limiter.acquire()
    limiter.acquire()
    assert clock.slept == [0.75, 1.0]


def test_cache_entries_expire_and_the_oldest_is_evicted() -> None:
    clock = FakeClock()
    cache = MemoryCache(max_entries=2, clock=clock)
    cache.set("a", {"v": 1}, ttl=10)
    assert cache.get("a") == {"v": 1}
    clock.now = 10
    assert cache.get("a") is None
    cache.set("b", {"v": 2}, ttl=60)
    cache.set("c", {"v": 3}, ttl=60)
    cache.set("d", {"v": 4}, ttl=60)
    assert (cache.get("b"), cache.get("c"), cache.get("d")) == (None, {"v": 3}, {"v": 4})
