"""Library admin raced: concurrent updates of different fields all land, and of concurrent
creates with one name (or overlapping prefixes) exactly one wins; the rest answer 409."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

from viewra.common.errors import Conflict
from viewra.media import service as media
from viewra.media.models.catalogue import LibraryCreate, LibraryKind, LibraryUpdate


def _all_at_once(calls: list[Callable[[], Any]]) -> list[Any]:
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], Any]) -> Any:
        barrier.wait()
        try:
            return call()
        except Conflict as exc:
            return exc

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def test_concurrent_updates_of_different_fields_are_all_kept(services) -> None:
    library, _ = media.create_library(services, LibraryCreate(name="Films", prefix="films/"))
    for round_ in range(3):
        name, prefix = f"Films {round_}", f"films{round_}/"
        presets = ["720p-h264-3mbps"] if round_ % 2 == 0 else ["480p-h264-1.5mbps"]
        kind = [LibraryKind.MOVIES, LibraryKind.SHOWS, LibraryKind.MUSIC][round_]
        updates = [
            LibraryUpdate(name=name),
            LibraryUpdate(prefix=prefix),
            LibraryUpdate(kind=kind),
            LibraryUpdate(optimized_versions=presets),
        ]
        results = _all_at_once(
            [
                (lambda u=u: media.update_library(services, library.id, u))  # type: ignore[misc]
                for u in updates
            ]
        )
        assert not [r for r in results if isinstance(r, Exception)]
        now = services.libraries.get(library.id)
        assert (now.name, now.prefix, now.kind, now.optimized_versions) == (
            name,
            prefix,
            kind,
            presets,
        )


def test_of_concurrent_creates_with_one_name_exactly_one_wins(services) -> None:
    results = _all_at_once(
        [
            (
                lambda i=i: media.create_library(  # type: ignore[misc]
                    services, LibraryCreate(name="Music", prefix=f"music{i}/")
                )
            )
            for i in range(6)
        ]
    )
    won = [r for r in results if not isinstance(r, Exception)]
    assert len(won) == 1
    assert all(isinstance(r, Conflict) for r in results if r not in won)
    assert [lib.name for lib in services.libraries.list()] == ["Music"]


def test_of_concurrent_creates_with_nested_prefixes_exactly_one_wins(services) -> None:
    prefixes = ["shows/", "shows/a/", "shows/a/b/", "shows/a/b/c/"]
    results = _all_at_once(
        [
            (
                lambda i=i, p=p: media.create_library(  # type: ignore[misc]
                    services, LibraryCreate(name=f"Shows {i}", prefix=p)
                )
            )
            for i, p in enumerate(prefixes)
        ]
    )
    assert sum(not isinstance(r, Exception) for r in results) == 1
    assert len(services.libraries.list()) == 1


def test_an_update_racing_a_delete_never_brings_the_library_back(services) -> None:
    rename = LibraryUpdate(name="Back")
    for _ in range(3):
        library_id = media.create_library(services, LibraryCreate(name="Gone", prefix="gone/"))[
            0
        ].id
        _all_at_once(
            [
                partial(media.delete_library, services, library_id),
                partial(_or_none, partial(media.update_library, services, library_id, rename)),
            ]
        )
        assert services.libraries.list() == []


def _or_none(call: Callable[[], Any]) -> Any:
    from viewra.common.errors import NotFound

    try:
        return call()
    except NotFound:
        return None
