"""Pausing the cyclic garbage collector while a file's records are built."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a file's records are built.

    Parsed JSON and records hold no reference cycles, but building hundreds of thousands of
    containers makes the collector walk them again and again (several times the parse itself).
    Nothing outside this module runs while it is paused.
    """
    was_enabled = gc.isenabled()
    if was_enabled:
        gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
