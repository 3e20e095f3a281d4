"""Coarser forms of values: dates to years, addresses to networks."""

from __future__ import annotations

import ipaddress
import re

_DATES = frozenset({"DATE_TIME", "DATE_OF_BIRTH"})
_YEAR = re.compile(r"(?<!\d)(?:1[0-9]|2[0-9])\d\d(?!\d)")
IPV4_PREFIX = 24
IPV6_PREFIX = 48


def generalize(entity: str, value: str) -> str | None:
    """The coarse form of ``value``, or None when there is none to give."""
    if entity in _DATES:
        match = _YEAR.search(value)
        return match.group(0) if match else None
    if entity == "IP_ADDRESS":
        return _network(value)
    return None


def _network(value: str) -> str | None:
    """The /24 (IPv6 /48) network; a narrower CIDR widens, a wider one is kept."""
    try:
        network = ipaddress.ip_network(value.strip(), strict=False)
    except ValueError:
        return None
    wanted = IPV4_PREFIX if network.version == 4 else IPV6_PREFIX
    if network.prefixlen > wanted:
        network = network.supernet(new_prefix=wanted)
    return str(network)
