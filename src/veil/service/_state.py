"""What one running service holds: the gateway, the token store, the audit log and the limits.

``open_service`` builds it from a project's settings (``veil.toml`` and ``VEIL_*``) on the
embedded defaults or on PostgreSQL and Redis by URL; tests build a ``Service`` directly.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from veil._pattern_cache import PATTERN_CACHE, read_pattern_cache, write_pattern_cache
from veil._setup import open_vault
from veil.access import TokenStore
from veil.audit import AuditLog
from veil.config import Settings
from veil.detect import Detector, SpacyNer, default_detector
from veil.gateway import Gateway, Limiter, MemoryLimiter, OpenAICompatible, RateLimits, RedisLimiter
from veil.gateway._gateway import Exchange
from veil.gateway._upstream import EchoUpstream, Upstream
from veil.service._http import DEFAULT_MAX_BODY, DEFAULT_MAX_DEPTH
from veil.service._metrics import Metrics
from veil.vault import Vault

DEFAULT_LIMITS = RateLimits(requests_per_minute=600, tokens_per_minute=1_000_000)


@dataclass
class Service:
    """The objects every route uses; ``aclose`` releases them at shutdown."""

    gateway: Gateway
    tokens: TokenStore
    audit: AuditLog
    detector: Detector | None = None
    limiter: Limiter | None = None
    vault: Vault | None = None  # the vault, consent and DSR routes exist only with one
    metrics: Metrics = field(default_factory=Metrics)
    pattern_cache: Path | None = None  # where to keep the patterns compiled at start (None: nowhere)
    max_body_bytes: int = DEFAULT_MAX_BODY
    max_json_depth: int = DEFAULT_MAX_DEPTH
    closers: list[Callable[[], Awaitable[None] | None]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.gateway.on_exchange = self.observe

    def warm(self) -> None:
        """Build the detector before the first request needs it; patterns it had to compile (seconds)
        are kept in ``pattern_cache`` for the next start."""
        (self.detector if self.detector is not None else default_detector()).detect("warm-up")
        if self.pattern_cache is not None:
            write_pattern_cache(self.pattern_cache)

    def observe(self, exchange: Exchange, decision: str) -> None:
        self.metrics.decisions.labels("gateway", decision).inc()
        self.metrics.count_entities(exchange.entities)
        self.metrics.count_entities(exchange.masked, masked=True)

    async def aclose(self) -> None:
        await self.gateway.upstream.aclose()
        if self.limiter is not None:
            await self.limiter.aclose()
        for close in reversed(self.closers):
            done = close()
            if done is not None:
                await done


def upstream_of(url: str, api_key: str | None) -> Upstream:
    """``echo`` (the built-in upstream that answers with what it received) or a server's base URL."""
    return EchoUpstream() if url == "echo" else OpenAICompatible(url, api_key=api_key)


def open_service(
    settings: Settings,
    *,
    upstream: str = "echo",
    upstream_key: str | None = None,
    redis_url: str | None = None,
    limits: RateLimits = DEFAULT_LIMITS,
    ner: bool = False,
) -> Service:
    """The project's service; its detector (with spaCy NER when ``ner``) is built from the patterns
    the last start compiled, when ``.veil/patterns.bin`` holds them."""
    cache = settings.project / PATTERN_CACHE
    loaded = read_pattern_cache(cache)  # before any detector is built: building compiles
    detector = Detector(ner=SpacyNer()) if ner else None
    vault = open_vault(settings)
    limiter: Limiter = RedisLimiter(limits, redis_url) if redis_url else MemoryLimiter(limits)
    gateway = Gateway(upstream_of(upstream, upstream_key), audit=vault.audit, detector=detector)
    return Service(gateway, vault.tokens, vault.audit, detector=detector, limiter=limiter, vault=vault,
                   pattern_cache=None if loaded else cache, closers=[vault.close])
