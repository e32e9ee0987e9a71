"""A bounded cache held by an object: it forgets its least recently used entry when
full, so a cache that is hit keeps its working set (a cache that cleared everything
when full lost it all at once). Caches at module level use `functools.lru_cache`."""

from __future__ import annotations

import contextlib
from collections import OrderedDict
from typing import Any

__all__ = ["LRU"]


class LRU(OrderedDict):
    """An `OrderedDict` of at most ``maxsize`` entries; `get` counts as a use. Safe to
    share between threads: an entry another thread evicts meanwhile is a miss."""

    def __init__(self, maxsize: int = 4096) -> None:  # a default, for unpickling
        super().__init__()
        self.maxsize = maxsize

    def get(self, key: Any, default: Any = None) -> Any:
        try:
            self.move_to_end(key)
        except KeyError:
            return default
        return super().get(key, default)

    def __setitem__(self, key: Any, value: Any) -> None:
        super().__setitem__(key, value)
        if len(self) > self.maxsize:
            with contextlib.suppress(KeyError):  # emptied by another thread meanwhile
                self.popitem(last=False)
