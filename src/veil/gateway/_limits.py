"""Per-caller rate limits for the gateway: requests and tokens per minute.

The algorithm is a token bucket refilled continuously: a limit of L per minute is a bucket of
L units that refills at L units a minute, up to L. A request costs one unit of the requests
bucket and its token estimate of the tokens bucket; it is admitted only when both can pay, and
then both pay; a refused request pays nothing. A bucket holding ``level`` units after
refilling cannot pay ``cost`` for ``(cost - level) * 60 / L`` seconds, exactly: that wait,
rounded up to whole seconds (at least 1), is the Retry-After. Each key keeps the time it last
paid and each bucket's level (not a summed timestamp), so float error does not build up.

So a caller idle for a minute may send a burst of L at once and L a minute after that: over any
span of t seconds at most ``L + L * t / 60`` get through. A request whose own estimate is larger
than the whole token limit could never be admitted: it is refused with ``InvalidInput`` (422,
since retrying cannot help), not ``RateLimited``.

``MemoryLimiter`` keeps the buckets in the process (one worker, tests); ``RedisLimiter`` keeps
them in Redis for many workers, in one Lua script that reads Redis' clock so workers agree. Both
forget a key once its buckets are full again, and a limiter that cannot decide refuses.
"""

from __future__ import annotations

import hashlib
import math
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple, Protocol

from veil._clock import Clock, SystemClock
from veil.errors import DependencyMissing, InvalidInput, RateLimited, StorageError

if TYPE_CHECKING:
    from redis.asyncio import Redis

#: Seconds a bucket takes to refill from empty.
WINDOW = 60.0
DEFAULT_MAX_KEYS = 100_000
MAX_KEY_LENGTH = 256
DEFAULT_REDIS_PREFIX = "veil:rl:"
# Float timestamps are off by ~0.2 µs: without this a request could be refused at the promised second.
_SLACK = 1e-6

# KEYS[1]: one caller's buckets: when they last paid (Redis' clock, seconds) and both levels.
# ARGV: requests per minute, tokens per minute (0 = unlimited), tokens, window, slack.
# Returns both waits; writes only when both are within the slack. Needs Redis 5 or later,
# where scripts replicate their effects, so reading TIME before a write is allowed.
_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local window, slack = tonumber(ARGV[4]), tonumber(ARGV[5])
local stored = redis.call('HMGET', KEYS[1], 'at', 'r', 't')
local last = tonumber(stored[1]) or now
local elapsed, at = math.max(0, now - last), math.max(now, last)
local costs = {1, tonumber(ARGV[3])}
local levels, waits, full = {}, {}, 0
for i = 1, 2 do
  local limit = tonumber(ARGV[i])
  if limit > 0 then
    local available = math.min(limit, (tonumber(stored[i + 1]) or limit) + elapsed * limit / window)
    levels[i] = available - costs[i]
    waits[i] = (costs[i] - available) * window / limit
    full = math.max(full, (limit - levels[i]) * window / limit)
  else
    levels[i], waits[i] = 0, -window
  end
end
if waits[1] <= slack and waits[2] <= slack then
  local f = '%.17g'
  redis.call('HSET', KEYS[1], 'at', string.format(f, at), 'r', string.format(f, levels[1]),
             't', string.format(f, levels[2]))
  redis.call('PEXPIRE', KEYS[1], math.max(1, math.ceil((at - now + full) * 1000)))
end
return {string.format('%.17g', waits[1]), string.format('%.17g', waits[2])}
"""


@dataclass(frozen=True, slots=True)
class RateLimits:
    """Limits per key and minute; ``None`` is unlimited."""

    requests_per_minute: int | None = None
    tokens_per_minute: int | None = None

    def __post_init__(self) -> None:
        for name in ("requests_per_minute", "tokens_per_minute"):
            value = getattr(self, name)
            if value is not None and (type(value) is not int or value < 1):
                raise InvalidInput(f"{name} must be a positive integer or None")

    @property
    def unlimited(self) -> bool:
        return self.requests_per_minute is None and self.tokens_per_minute is None


class Limiter(Protocol):
    """Admits a request for ``key`` (a token or principal id) or raises ``RateLimited``."""

    async def admit(self, key: str, *, tokens: int) -> None: ...

    async def aclose(self) -> None: ...


def _check(limits: RateLimits, key: str, tokens: int) -> None:
    if not isinstance(key, str) or not 0 < len(key) <= MAX_KEY_LENGTH:
        raise InvalidInput(f"the rate limit key must be a string of 1 to {MAX_KEY_LENGTH} characters")
    if type(tokens) is not int or tokens < 0:
        raise InvalidInput("tokens must be a non-negative integer")
    limit = limits.tokens_per_minute
    if limit is not None and tokens > limit:
        raise InvalidInput(f"the request's estimate of {tokens} tokens exceeds the limit of {limit} a minute")


class _Bucket(NamedTuple):
    level: float  # what is left after paying
    wait: float  # seconds until it could pay; <= 0 when it can
    full_in: float  # seconds until it is full again after paying


def _step(level: float | None, elapsed: float, limit: int | None, cost: int) -> _Bucket:
    """A bucket (``None``: a new, full one) refilled for ``elapsed`` seconds, then paying ``cost``."""
    if limit is None:
        return _Bucket(0.0, -WINDOW, 0.0)  # never short, always full
    available = min(float(limit), (limit if level is None else level) + elapsed * limit / WINDOW)
    left = available - cost
    return _Bucket(left, (cost - available) * WINDOW / limit, (limit - left) * WINDOW / limit)


class _Key(NamedTuple):
    at: float  # when it last paid
    requests: float | None
    tokens: float | None
    full_at: float  # when both buckets are full again, so the key can be forgotten


def _refusal(request_wait: float, token_wait: float) -> RateLimited | None:
    over = [name for name, wait in (("requests", request_wait), ("tokens", token_wait)) if wait > _SLACK]
    if not over:
        return None
    seconds = max(1, math.ceil(max(request_wait, token_wait) - _SLACK))  # admitted then, by the same slack
    return RateLimited(f"rate limit of {' and '.join(over)} per minute reached", retry_after=seconds)


class MemoryLimiter:
    """Buckets in this process: safe across threads and tasks, at most ``max_keys`` keys.

    A key is forgotten once its buckets are full again. When ``max_keys`` keys are all still
    draining, a new key is refused until one is full again, rather than dropping a live key,
    which would hand that caller a fresh budget.
    """

    def __init__(self, limits: RateLimits, *, clock: Clock | None = None,
                 max_keys: int = DEFAULT_MAX_KEYS) -> None:
        if type(max_keys) is not int or max_keys < 1:
            raise InvalidInput("max_keys must be a positive integer")
        self.limits = limits
        self._clock = clock or SystemClock()
        self._max_keys = max_keys
        self._lock = threading.Lock()
        self._keys: OrderedDict[str, _Key] = OrderedDict()  # least recently charged first
        self._sweep_at = -math.inf  # when full: no key is full again before this

    def __repr__(self) -> str:
        return f"MemoryLimiter({self.limits!r}, keys={len(self._keys)})"  # never the keys

    def __len__(self) -> int:
        return len(self._keys)

    async def admit(self, key: str, *, tokens: int) -> None:
        _check(self.limits, key, tokens)
        if self.limits.unlimited:
            return
        now = self._clock.now().timestamp()
        with self._lock:
            self._forget(now)
            old = self._keys.get(key)
            if old is None:
                self._make_room(now)
            old = old or _Key(now, None, None, now)  # a new key: both buckets full
            elapsed, at = max(0.0, now - old.at), max(now, old.at)  # a clock gone back refills nothing
            requests = _step(old.requests, elapsed, self.limits.requests_per_minute, 1)
            spent = _step(old.tokens, elapsed, self.limits.tokens_per_minute, tokens)
            refusal = _refusal(requests.wait, spent.wait)
            if refusal is not None:
                raise refusal
            full_at = at + max(requests.full_in, spent.full_in)
            self._keys[key] = _Key(at, requests.level, spent.level, full_at)
            self._keys.move_to_end(key)

    async def aclose(self) -> None:
        with self._lock:
            self._keys.clear()

    def _forget(self, now: float) -> None:
        """Drops full keys from the front: cheap, and enough unless the table is full."""
        while self._keys and next(iter(self._keys.values())).full_at <= now:
            self._keys.popitem(last=False)

    def _make_room(self, now: float) -> None:
        if len(self._keys) < self._max_keys:
            return
        if now >= self._sweep_at:  # sweep only when some key can be full again, not on every request
            for name in [name for name, state in self._keys.items() if state.full_at <= now]:
                del self._keys[name]
            self._sweep_at = min((state.full_at for state in self._keys.values()), default=now)
        if len(self._keys) >= self._max_keys:
            wait = max(1, math.ceil(self._sweep_at - now))
            raise RateLimited("the rate limiter is tracking too many callers", retry_after=wait)


class RedisLimiter:
    """Buckets in Redis (5 or later), shared by every worker that uses the same ``prefix``.

    ``redis`` is a URL or a ``redis.asyncio.Redis`` client (left open by ``aclose``). Keys are
    stored hashed, so principal ids never reach Redis, and expire once their buckets are full
    again. A Redis that cannot be reached, or answers wrongly, refuses with ``StorageError``.
    """

    def __init__(self, limits: RateLimits, redis: str | Redis, *, prefix: str = DEFAULT_REDIS_PREFIX,
                 timeout: float = 2.0) -> None:
        try:
            from redis.asyncio import from_url
            from redis.exceptions import RedisError
        except ImportError:
            raise DependencyMissing("server", "Redis rate limits") from None
        if not isinstance(prefix, str):
            raise InvalidInput("prefix must be a string")
        self.limits = limits
        self._prefix = prefix
        self._errors: tuple[type[Exception], ...] = (RedisError, OSError)
        self._owns_client = isinstance(redis, str)
        if isinstance(redis, str):
            try:
                redis = from_url(redis, socket_timeout=timeout, socket_connect_timeout=timeout)
            except ValueError:
                raise InvalidInput("the Redis URL is malformed") from None  # the error would echo it
        self._client = redis
        self._script = redis.register_script(_SCRIPT)

    def __repr__(self) -> str:
        return f"RedisLimiter({self.limits!r}, prefix={self._prefix!r})"  # never the URL

    async def admit(self, key: str, *, tokens: int) -> None:
        _check(self.limits, key, tokens)
        if self.limits.unlimited:
            return
        limits = self.limits
        args = (limits.requests_per_minute or 0, limits.tokens_per_minute or 0, tokens, WINDOW, _SLACK)
        try:
            waits = await self._script(keys=[self._name(key)], args=args)
        except self._errors as exc:
            raise StorageError(f"the rate limit store failed ({type(exc).__name__}): refused") from None
        try:
            request_wait, token_wait = (float(wait) for wait in waits)
        except (TypeError, ValueError):
            raise StorageError("the rate limit store gave an unexpected answer: refused") from None
        refusal = _refusal(request_wait, token_wait)
        if refusal is not None:
            raise refusal

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    def _name(self, key: str) -> str:
        return self._prefix + hashlib.blake2b(key.encode(), digest_size=16).hexdigest()
