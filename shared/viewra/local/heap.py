"""Keep the cyclic garbage collector's full passes off the local stack's request path.

A long-lived local process (the emulator, the runner with the API, a worker process) carries
hundreds of thousands of objects built once at start-up: imported modules, botocore's service
models, moto's backends, the clients. CPython's cyclic GC walks all of them on every full
(generation 2) collection. Measured under ``bench/decide.py`` with ``gc.callbacks``, such a pass
took up to 290 ms in the runner and 150 ms in the emulator, and a request that met one waited
for it: those passes were the tail of the playback latency.

:func:`settle` collects once and moves every surviving object to the permanent generation
(``gc.freeze``), so later passes walk only what the process built since. Reference counting
still frees frozen objects; only a frozen object in a reference cycle would stay until exit,
and start-up state lives as long as the process anyway.
"""

from __future__ import annotations

import gc


def settle() -> int:
    """Collect, then freeze what survived; return how many objects were frozen."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
