"""Backoff grows exponentially to a cap, with jitter, and honours Retry-After."""
import random

from sync.backoff import Backoff


def test_delays_grow_to_the_cap_and_reset_on_success():
    backoff = Backoff(base_s=1, cap_s=60, rng=random.Random(7))
    delays = [backoff.failed(now=0) for _ in range(12)]
    ceilings = [min(60, 2 ** i) for i in range(12)]
    assert all(c / 2 <= d <= c for d, c in zip(delays, ceilings))
    assert max(delays) <= 60 and delays[-1] >= 30
    assert not backoff.ready(now=0)
    backoff.succeeded()
    assert backoff.ready(now=0) and backoff.failures == 0


def test_retry_after_is_a_floor():
    backoff = Backoff(base_s=1, cap_s=60, rng=random.Random(1))
    assert backoff.failed(now=100, retry_after=45) >= 45
    assert not backoff.ready(now=140) and backoff.ready(now=146)


def test_jitter_spreads_203_nodes_returning_after_an_outage():
    def delay_after_outage(seed):
        backoff = Backoff(1, 600, rng=random.Random(seed))
        return [backoff.failed(0) for _ in range(8)][-1]  # ceiling 128 s
    per_second = {}
    for seed in range(203):
        second = int(delay_after_outage(seed))
        per_second[second] = per_second.get(second, 0) + 1
    assert 64 <= min(per_second) and max(per_second) <= 128
    assert max(per_second.values()) <= 12  # about 3 a second, never a stampede
