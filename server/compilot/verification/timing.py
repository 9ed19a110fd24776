"""How long one warm javac check takes: the number the completion latency budget is planned around."""

from __future__ import annotations

import statistics
import time

from .checker import JavaChecker


def median_check_ms(checker: JavaChecker, source: str, n: int = 50, filename: str = "Main.java") -> float:
    """Median milliseconds of `n` checks of `source`, after a warm-up that is not counted."""
    checker.warm_up()
    times = []
    for _ in range(n):
        start = time.perf_counter()
        checker.check(source, filename)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)
