"""``ReadMeter``: the items the queries of one job run examined (what the benchmark reports)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any


@dataclass
class ReadMeter:
    """Items examined by the queries of one job run (ScannedCount, so filters cannot hide reads)."""

    items_read: int = 0
    queries: int = 0

    def drain(self, results: Any) -> list[Any]:
        items = list(results)
        self.items_read += results.page_iter.total_scanned_count
        self.queries += 1
        return items

    def stream(self, results: Any) -> Iterator[Any]:
        yield from results
        self.items_read += results.page_iter.total_scanned_count
        self.queries += 1

    def count(self, found: int) -> int:
        """Record a Select=COUNT query that examined ``found`` items."""
        self.items_read += found
        self.queries += 1
        return found
