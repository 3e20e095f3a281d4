from __future__ import annotations

import asyncio
import secrets
import sys
import threading
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from veil._clock import FixedClock
from veil.errors import DependencyMissing, InvalidInput, RateLimited, StorageError
from veil.gateway import Limiter, MemoryLimiter, RateLimits, RedisLimiter

REDIS_URL = "redis://127.0.0.1:6379/0"
START = datetime(2025, 1, 1, tzinfo=UTC)
ANA = "a" * 32  # token ids: 32 hex
BO = "b" * 32


def _memory(rpm: int | None = None, tpm: int | None = None, **options: Any) -> tuple[MemoryLimiter, FixedClock]:
    clock = FixedClock(START)
    return MemoryLimiter(RateLimits(rpm, tpm), clock=clock, **options), clock


def _admit(limiter: Limiter, key: str = ANA, tokens: int = 0) -> None:
    asyncio.run(limiter.admit(key, tokens=tokens))


def _refused(limiter: Limiter, key: str = ANA, tokens: int = 0) -> RateLimited:
    with pytest.raises(RateLimited) as caught:
        _admit(limiter, key, tokens)
    return caught.value


async def _raises(limiter: Limiter, key: str = ANA, tokens: int = 0) -> RateLimited:
    with pytest.raises(RateLimited) as caught:
        await limiter.admit(key, tokens=tokens)
    return caught.value


async def _outcomes(limiter: Limiter, key: str, count: int, tokens: int = 0) -> list[bool]:
    async def one() -> bool:
        try:
            await limiter.admit(key, tokens=tokens)
        except RateLimited:
            return False
        return True
    return list(await asyncio.gather(*(one() for _ in range(count))))


# -- limits --------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [0, -1, 1.5, True, "60"])
def test_limits_must_be_positive_integers(value: Any) -> None:
    with pytest.raises(InvalidInput, match="requests_per_minute"):
        RateLimits(requests_per_minute=value)
    with pytest.raises(InvalidInput, match="tokens_per_minute"):
        RateLimits(tokens_per_minute=value)


def test_limits_default_to_unlimited() -> None:
    assert RateLimits().unlimited
    assert not RateLimits(requests_per_minute=1).unlimited


# -- memory limiter ------------------------------------------------------------------------


def test_admits_up_to_the_request_limit_then_says_when_the_next_one_frees() -> None:
    limiter, _ = _memory(rpm=3)
    for _ in range(3):
        _admit(limiter)
    refused = _refused(limiter)
    assert refused.retry_after == 20  # one request refills every 60 / 3 seconds
    assert "requests" in refused.message


def test_a_request_is_admitted_at_exactly_the_promised_second_and_not_before() -> None:
    limiter, clock = _memory(rpm=3)
    for _ in range(3):
        _admit(limiter)
    clock.advance(timedelta(seconds=19))
    assert _refused(limiter).retry_after == 1
    clock.advance(timedelta(seconds=1))
    _admit(limiter)
    assert _refused(limiter).retry_after == 20


def test_retry_after_rounds_up_to_whole_seconds() -> None:
    limiter, clock = _memory(rpm=7)  # a request refills every 8.57 seconds
    for _ in range(7):
        _admit(limiter)
    assert _refused(limiter).retry_after == 9
    clock.advance(timedelta(seconds=8))
    assert _refused(limiter).retry_after == 1
    clock.advance(timedelta(seconds=1))
    _admit(limiter)


async def _drain(limiter: Limiter, tokens: int = 0) -> tuple[int, int]:
    """Admits until refused: how many got through, and the refusal's retry_after."""
    admitted = 0
    while True:
        try:
            await limiter.admit(ANA, tokens=tokens)
        except RateLimited as refused:
            return admitted, refused.retry_after
        admitted += 1


@pytest.mark.parametrize(("tpm", "cost"), [(7, 1), (25, 3), (1000, 37), (60_000, 1), (9_999_991, 123_457)])
def test_waiting_retry_after_always_admits_and_a_second_less_never_does(tpm: int, cost: int) -> None:
    limiter, clock = _memory(tpm=tpm)

    async def scenario() -> None:
        for _ in range(40):
            _, wait = await _drain(limiter, cost)
            clock.advance(timedelta(seconds=wait - 1))
            if wait > 1:
                assert (await _raises(limiter, tokens=cost)).retry_after == 1
            clock.advance(timedelta(seconds=1))
            await limiter.admit(ANA, tokens=cost)
            clock.advance(timedelta(milliseconds=137))  # off the whole seconds
    asyncio.run(scenario())


def test_a_large_burst_is_admitted_exactly() -> None:
    limiter, _ = _memory(rpm=20_000)
    assert asyncio.run(_drain(limiter)) == (20_000, 1)


def test_an_idle_minute_refills_the_whole_burst() -> None:
    limiter, clock = _memory(rpm=3)
    for _ in range(3):
        _admit(limiter)
    clock.advance(timedelta(seconds=60))
    for _ in range(3):
        _admit(limiter)
    _refused(limiter)


def test_a_refused_request_costs_nothing() -> None:
    limiter, clock = _memory(rpm=1, tpm=100)
    _admit(limiter, tokens=100)
    for _ in range(50):
        _refused(limiter, tokens=50)
    clock.advance(timedelta(seconds=60))
    _admit(limiter, tokens=100)


def test_the_token_limit_refuses_what_would_overdraw_it_and_admits_what_fits() -> None:
    limiter, clock = _memory(tpm=1000)
    _admit(limiter, tokens=600)
    refused = _refused(limiter, tokens=500)
    assert refused.retry_after == 6  # 100 tokens short, refilled at 1000 a minute
    assert "tokens" in refused.message
    assert "requests" not in refused.message
    _admit(limiter, tokens=400)  # exactly what is left
    clock.advance(timedelta(seconds=6))
    _admit(limiter, tokens=100)


def test_a_request_over_both_limits_waits_for_the_slower_one() -> None:
    limiter, _ = _memory(rpm=2, tpm=100)
    _admit(limiter, tokens=100)
    _admit(limiter, tokens=0)
    refused = _refused(limiter, tokens=50)
    assert refused.retry_after == 30  # tokens free in 30 s, a request in 30 s: the later of the two
    assert "requests and tokens" in refused.message


def test_an_estimate_larger_than_the_whole_token_limit_is_invalid_not_a_wait() -> None:
    limiter, _ = _memory(rpm=10, tpm=1000)
    with pytest.raises(InvalidInput, match="1001 tokens exceeds the limit of 1000"):
        _admit(limiter, tokens=1001)
    for _ in range(10):  # and it was not counted
        _admit(limiter, tokens=100)


def test_a_clock_that_goes_back_refills_nothing() -> None:
    limiter, clock = _memory(rpm=2)
    _admit(limiter)
    clock.advance(timedelta(seconds=-30))
    _admit(limiter)
    _refused(limiter)
    clock.advance(timedelta(seconds=30))  # the same span again: still nothing refilled
    assert _refused(limiter).retry_after == 30


def test_keys_have_independent_budgets() -> None:
    limiter, _ = _memory(rpm=1)
    _admit(limiter, ANA)
    _refused(limiter, ANA)
    _admit(limiter, BO)
    _refused(limiter, BO)


def test_unlimited_admits_everything_and_keeps_nothing() -> None:
    limiter, _ = _memory()

    async def many() -> None:
        for n in range(1000):
            await limiter.admit(f"{n:032x}", tokens=10**9)
    asyncio.run(many())
    assert len(limiter) == 0


def test_one_unlimited_limit_leaves_the_other_in_force() -> None:
    limiter, _ = _memory(rpm=2)
    _admit(limiter, tokens=10**9)
    _admit(limiter, tokens=10**9)
    _refused(limiter)


def test_a_key_is_forgotten_once_its_buckets_are_full_again() -> None:
    limiter, clock = _memory(rpm=3, tpm=600)
    _admit(limiter, ANA, tokens=600)
    assert len(limiter) == 1
    clock.advance(timedelta(seconds=59))
    _admit(limiter, BO)
    assert len(limiter) == 2
    clock.advance(timedelta(seconds=1))
    _admit(limiter, BO)
    assert len(limiter) == 1


def test_a_full_table_refuses_new_keys_rather_than_forgetting_a_live_one() -> None:
    limiter, clock = _memory(rpm=1, max_keys=2)
    _admit(limiter, ANA)
    clock.advance(timedelta(seconds=10))
    _admit(limiter, BO)
    refused = _refused(limiter, "c" * 32)
    assert refused.retry_after == 50  # when ANA's bucket is full again
    _refused(limiter, ANA)  # still limited: not evicted to make room
    clock.advance(timedelta(seconds=50))
    _admit(limiter, "c" * 32)
    assert len(limiter) == 2


def test_a_full_table_sweeps_keys_that_are_full_again_behind_a_live_one() -> None:
    limiter, clock = _memory(rpm=1, tpm=60, max_keys=2)
    _admit(limiter, ANA, tokens=60)  # full again in 60 s
    _admit(limiter, BO)  # full again in 60 s as well
    clock.advance(timedelta(seconds=30))
    _refused(limiter, "c" * 32)
    clock.advance(timedelta(seconds=30))
    _admit(limiter, "c" * 32)


@pytest.mark.parametrize("key", ["", "x" * 257, None])
def test_a_bad_key_is_refused_without_echoing_it(key: Any) -> None:
    limiter, _ = _memory(rpm=1)
    with pytest.raises(InvalidInput) as caught:
        _admit(limiter, key)
    assert "x" * 20 not in caught.value.message


@pytest.mark.parametrize("tokens", [-1, 1.5, True, "1"])
def test_tokens_must_be_a_non_negative_integer(tokens: Any) -> None:
    limiter, _ = _memory(tpm=100)
    with pytest.raises(InvalidInput, match="tokens"):
        _admit(limiter, tokens=tokens)


def test_max_keys_must_be_positive() -> None:
    with pytest.raises(InvalidInput, match="max_keys"):
        MemoryLimiter(RateLimits(1), max_keys=0)


def test_the_repr_shows_no_keys() -> None:
    limiter, _ = _memory(rpm=1)
    _admit(limiter)
    assert ANA not in repr(limiter)


def test_concurrent_tasks_never_over_admit() -> None:
    limiter, _ = _memory(rpm=10)
    assert sum(asyncio.run(_outcomes(limiter, ANA, 100))) == 10


def test_concurrent_threads_never_over_admit() -> None:
    limiter, _ = _memory(rpm=25)
    admitted: list[bool] = []
    start = threading.Barrier(8)

    def worker() -> None:
        start.wait()
        admitted.extend(asyncio.run(_outcomes(limiter, ANA, 20)))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(admitted) == 160
    assert sum(admitted) == 25


# -- Redis limiter -------------------------------------------------------------------------


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A prefix of this test's own on the local Redis; its keys are deleted afterwards."""
    redis = pytest.importorskip("redis", reason="the redis package is not installed (pip install 'veil[server]')")
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5)
    try:
        client.ping()
    except redis.RedisError:
        client.close()
        pytest.skip(f"no Redis reachable at {REDIS_URL}")
    prefix = f"veil:test:{secrets.token_hex(8)}:"
    yield prefix
    keys = list(client.scan_iter(match=prefix + "*"))
    if keys:
        client.delete(*keys)
    client.close()


def _redis_run(prefix: str, limits: RateLimits, body: Callable[[RedisLimiter], Awaitable[None]]) -> None:
    """Runs ``body`` with a limiter bound to this test's event loop."""
    async def main() -> None:
        limiter = RedisLimiter(limits, REDIS_URL, prefix=prefix)
        try:
            await body(limiter)
        finally:
            await limiter.aclose()
    asyncio.run(main())


def test_redis_admits_up_to_the_request_limit_then_says_when_the_next_one_frees(redis_prefix: str) -> None:
    async def body(limiter: RedisLimiter) -> None:
        await limiter.admit(ANA, tokens=0)
        await limiter.admit(ANA, tokens=0)
        refused = await _raises(limiter)
        assert refused.retry_after in (29, 30)  # 30 s a request, less the test's own running time
        assert "requests" in refused.message
    _redis_run(redis_prefix, RateLimits(requests_per_minute=2), body)


def test_redis_token_limit_and_too_large_estimates(redis_prefix: str) -> None:
    async def body(limiter: RedisLimiter) -> None:
        await limiter.admit(ANA, tokens=600)
        refused = await _raises(limiter, tokens=500)
        assert refused.retry_after in (5, 6)
        assert "tokens" in refused.message
        await limiter.admit(ANA, tokens=400)
        with pytest.raises(InvalidInput, match="exceeds the limit"):
            await limiter.admit(BO, tokens=1001)
    _redis_run(redis_prefix, RateLimits(tokens_per_minute=1000), body)


def test_redis_keys_are_hashed_and_expire_when_full_again(redis_prefix: str) -> None:
    async def body(limiter: RedisLimiter) -> None:
        await limiter.admit(ANA, tokens=30)
        await limiter.admit(BO, tokens=0)
        client = limiter._client
        names = [name.decode() async for name in client.scan_iter(match=redis_prefix + "*")]
        assert len(names) == 2
        assert all(ANA not in name and BO not in name for name in names)
        ttls = sorted([await client.pttl(name) for name in names])
        assert 0 < ttls[0] <= 20_000  # BO: one of three requests, refilled in 20 s
        assert 20_000 < ttls[1] <= 30_000  # ANA: half the tokens, refilled in 30 s
    _redis_run(redis_prefix, RateLimits(requests_per_minute=3, tokens_per_minute=60), body)


def test_redis_buckets_refill_as_redis_time_passes(redis_prefix: str) -> None:
    async def body(limiter: RedisLimiter) -> None:
        await limiter.admit(ANA, tokens=0)
        await _raises(limiter)
        client = limiter._client
        [name] = [name async for name in client.scan_iter(match=redis_prefix + "*")]
        await client.hincrbyfloat(name, "at", -60)  # as if the request had come a minute ago
        await limiter.admit(ANA, tokens=0)
        await _raises(limiter)
    _redis_run(redis_prefix, RateLimits(requests_per_minute=1), body)


def test_two_redis_workers_share_one_budget(redis_prefix: str) -> None:
    async def main() -> None:
        limits = RateLimits(requests_per_minute=4, tokens_per_minute=100)
        first = RedisLimiter(limits, REDIS_URL, prefix=redis_prefix)
        second = RedisLimiter(limits, REDIS_URL, prefix=redis_prefix)
        try:
            await first.admit(ANA, tokens=50)
            await second.admit(ANA, tokens=50)
            assert "tokens" in (await _raises(first, tokens=1)).message
            await first.admit(ANA, tokens=0)
            await second.admit(ANA, tokens=0)
            assert "requests" in (await _raises(second, tokens=0)).message
            await second.admit(BO, tokens=100)  # another key, another budget
        finally:
            await first.aclose()
            await second.aclose()
    asyncio.run(main())


def test_concurrent_admits_on_two_redis_workers_never_over_admit(redis_prefix: str) -> None:
    async def main() -> None:
        limits = RateLimits(requests_per_minute=50, tokens_per_minute=1000)
        workers = [RedisLimiter(limits, REDIS_URL, prefix=redis_prefix) for _ in range(2)]
        try:
            results = await asyncio.gather(*(_outcomes(worker, ANA, 100, tokens=10) for worker in workers))
            assert sum(map(sum, results)) == 50
            tokens = await asyncio.gather(*(_outcomes(worker, BO, 100, tokens=30) for worker in workers))
            assert sum(map(sum, tokens)) == 33  # 1000 // 30
        finally:
            for worker in workers:
                await worker.aclose()
    asyncio.run(main())


def test_redis_and_memory_limiters_agree(redis_prefix: str) -> None:
    limits = RateLimits(requests_per_minute=5, tokens_per_minute=100)
    steps = [(key, tokens) for key, tokens in zip([ANA, BO, ANA] * 8, [0, 40, 30, 70, 10, 5, 60, 25] * 3, strict=True)]

    async def decisions(limiter: Limiter) -> list[int]:
        seen = []
        for key, tokens in steps:
            try:
                await limiter.admit(key, tokens=tokens)
                seen.append(0)
            except RateLimited as refused:
                seen.append(refused.retry_after)
        return seen

    memory, _ = _memory(rpm=5, tpm=100)
    expected = asyncio.run(decisions(memory))
    got: list[int] = []

    async def body(limiter: RedisLimiter) -> None:
        got.extend(await decisions(limiter))
    _redis_run(redis_prefix, limits, body)
    assert [bool(n) for n in got] == [bool(n) for n in expected]
    assert all(e - 1 <= g <= e for g, e in zip(got, expected, strict=True))  # Redis time moved on a little


def test_redis_reloads_its_script_when_redis_forgot_it(redis_prefix: str) -> None:
    async def body(limiter: RedisLimiter) -> None:
        await limiter.admit(ANA, tokens=0)
        await limiter._client.script_flush()
        await limiter.admit(ANA, tokens=0)
        await _raises(limiter)
    _redis_run(redis_prefix, RateLimits(requests_per_minute=2), body)


def test_a_given_redis_client_is_left_open(redis_prefix: str) -> None:
    from redis.asyncio import Redis

    async def main() -> None:
        client = Redis.from_url(REDIS_URL)
        limiter = RedisLimiter(RateLimits(requests_per_minute=1), client, prefix=redis_prefix)
        await limiter.admit(ANA, tokens=0)
        await limiter.aclose()
        assert await client.ping()
        await client.aclose()
    asyncio.run(main())


def test_an_unreachable_redis_refuses_without_naming_url_or_password() -> None:
    pytest.importorskip("redis", reason="the redis package is not installed (pip install 'veil[server]')")
    url = "redis://:hunter2-secret@127.0.0.1:1/0"  # nothing listens on port 1

    async def main() -> None:
        limiter = RedisLimiter(RateLimits(requests_per_minute=1), url, timeout=0.5)
        try:
            with pytest.raises(StorageError) as caught:
                await limiter.admit(ANA, tokens=0)
        finally:
            await limiter.aclose()
        message = caught.value.message
        assert "hunter2" not in message
        assert "127.0.0.1" not in message
        assert ANA not in message
        assert caught.value.__suppress_context__
        assert "hunter2" not in repr(limiter)
    asyncio.run(main())


def test_a_malformed_redis_url_is_refused_without_echoing_it() -> None:
    pytest.importorskip("redis", reason="the redis package is not installed (pip install 'veil[server]')")
    with pytest.raises(InvalidInput) as caught:
        RedisLimiter(RateLimits(1), "mysql://:hunter2-secret@db/0")
    assert "hunter2" not in caught.value.message


def test_redis_unlimited_never_calls_redis() -> None:
    pytest.importorskip("redis", reason="the redis package is not installed (pip install 'veil[server]')")

    async def main() -> None:
        limiter = RedisLimiter(RateLimits(), "redis://127.0.0.1:1/0")
        await limiter.admit(ANA, tokens=10**9)
        await limiter.aclose()
    asyncio.run(main())


def test_redis_limits_without_the_package_name_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("redis", "redis.asyncio", "redis.exceptions"):
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(DependencyMissing, match=r"veil\[server\]") as caught:
        RedisLimiter(RateLimits(1), REDIS_URL)
    assert caught.value.extra == "server"
    assert "Redis rate limits" in caught.value.message
