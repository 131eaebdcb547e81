"""Garbage-collector tuning for a process that runs one bot; standard library only (see below)."""

# Nothing but the standard library here: benchmarks/bench_bot_child.py loads this file on its own
# to give the bare echo bot the same tuning without importing the `bot` package (which would also
# install the lazy validators and so change what the echo bot measures).
import gc

# Container objects allocated, net, before a young collection (Python's default is 700).
YOUNG_GC_THRESHOLD = 10_000


def tune_garbage_collector() -> None:
    """For a process that runs one bot (the CLI), not for tests that build many.

    Everything built at start-up (aiogram's and pydantic's ~190k objects) lives as long as the
    process: frozen out of the collector's sight, a full collection takes ms instead of ~150 ms.
    And handling an update allocates thousands of short-lived objects (pydantic models, dicts):
    with the default threshold of 700 a young collection ran every few updates, walked the
    objects of every update still in flight and promoted them to older generations, which
    then had to be walked again (7 % of the CPU time in a burst, with a full collection every
    few hundred updates). At 10,000 most of those objects are gone before a collection comes
    (under 1 %, no full collection in a burst of 1,000), for a few MB of cycles kept a little
    longer."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_GC_THRESHOLD, *gc.get_threshold()[1:])
