"""When to try the hub again: exponential backoff with a cap, full jitter, and
the hub's own Retry-After, so 203 nodes do not all return at once after an outage."""
from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass
class Backoff:
    base_s: float
    cap_s: float
    failures: int = 0
    not_before: float = 0.0  # monotonic seconds
    rng: random.Random = field(default_factory=random.Random, repr=False)

    def ready(self, now: float) -> bool:
        return now >= self.not_before

    def succeeded(self) -> None:
        self.failures = 0
        self.not_before = 0.0

    def failed(self, now: float, retry_after: float | None = None) -> float:
        """Record a failure; returns the delay before the next attempt."""
        self.failures += 1
        ceiling = min(self.cap_s, self.base_s * 2 ** (self.failures - 1))
        delay = self.rng.uniform(ceiling / 2, ceiling)
        if retry_after is not None:
            # The hub knows its load: never come back sooner than it asked.
            delay = max(delay, retry_after)
        self.not_before = now + delay
        return delay
