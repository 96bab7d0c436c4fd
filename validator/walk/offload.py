"""CPU-heavy checks off the event loop, cancellable.

The checks of a large document (a plate listing 100k wells: about a second of rules) would
stall every other walk on the event loop -- a service's other jobs -- if run inline. They run
in a worker thread instead; cancelling the awaiting walk (a deadline) sets an event that the
checks look at between rules and violations, so they stop soon after, not at their end.
Threads rather than processes: the documents and rule contexts stay shared (no copy of a
5 MB plate to another process), and the loop thread still gets the GIL every switch interval
(5 ms), which is what keeps other jobs' I/O moving (measured: see the report of issue 14).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

#: Documents at least this large (bytes) are checked off the event loop: the checks of a
#: 64 KiB plate (about a thousand wells) take milliseconds, those of a 100k-well plate a second.
LARGE_DOCUMENT = 64 * 1024
#: Plates with at least this many wells have their node rules run off the event loop.
LARGE_PLATE = 1000
#: A document taken from consolidated metadata has no size of its own (it was parsed with the
#: whole): it counts as large when it holds at least this many JSON values -- a 64 KiB plate
#: document holds about 5,000 (a well entry: ~50 bytes, 4 values).
LARGE_VALUES = 4096


def is_large(value: Any, limit: int = LARGE_VALUES) -> bool:
    """Whether ``value`` holds at least ``limit`` JSON values (objects, arrays, scalars).

    Counts only up to ``limit``: cheap on any document, whatever its size."""
    count = 0
    pending = [value]
    while pending:
        item = pending.pop()
        count += 1
        if count >= limit:
            return True
        if isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


async def off_loop(check: Callable[..., T], *args: Any) -> T:
    """``check(*args, cancel=event)`` in a worker thread; cancelled, it sets the event."""
    cancel = threading.Event()
    try:
        return await asyncio.to_thread(check, *args, cancel=cancel)
    except asyncio.CancelledError:
        cancel.set()
        raise
