"""IP and MAC addresses, parsed rather than matched loosely."""

from __future__ import annotations

from veil.detect._entities import Entity
from veil.detect._recognizer import Pattern, Recognizer
from veil.detect._validators import ip_address

_IPV4 = r"(?:\d{1,3}\.){3}\d{1,3}"
_HEX4 = r"[0-9A-Fa-f]{1,4}"


IP = Recognizer(
    name="ip",
    entity=Entity.IP_ADDRESS,
    patterns=(
        Pattern("ipv4", rf"(?<![\w.]){_IPV4}(?:/\d{{1,2}})?(?![\w]|\.\d)", 0.85),
        Pattern(
            "ipv6_full",
            rf"(?<![\w:.])(?:{_HEX4}:){{7}}{_HEX4}(?:%[A-Za-z0-9]{{1,16}})?(?:/\d{{1,3}})?(?![\w:])",
            0.85,
        ),
        # Compressed forms always hold "::"; ipaddress decides the rest.
        Pattern(
            "ipv6_compressed",
            rf"(?<![\w:.])(?:{_HEX4}(?::{_HEX4}){{0,6}})?::"
            rf"(?:(?:{_HEX4}:){{0,5}}{_IPV4}|{_HEX4}(?::{_HEX4}){{0,6}})?"
            rf"(?:%[A-Za-z0-9]{{1,16}})?(?:/\d{{1,3}})?(?![\w:]|\.\d)",
            0.85,
        ),
    ),
    validator=ip_address,  # the IPv6 patterns already demand "::" or eight groups
    # not "from": "upgraded from 8.16.7.52" is a version, and would cancel the negative word
    context=("ip", "address", "addr", "host", "client", "server", "remote", "src", "dst", "login"),
    negative_context=("version", "ver", "release", "build", "upgraded", "upgrade", "downgraded",
                      "deployed", "deploy", "installed", "bump", "bumped", "rc", "commit", "changelog", "deps",
                      "dependencies", "requirements", "image", "digest"),
    priority=80,
)



MAC = Recognizer(
    name="mac",
    entity=Entity.MAC_ADDRESS,
    patterns=(
        Pattern("mac_colon", r"(?<![\w:-])[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5}(?![\w:-])", 0.85),
        Pattern("mac_dash", r"(?<![\w:-])[0-9A-Fa-f]{2}(?:-[0-9A-Fa-f]{2}){5}(?![\w:-])", 0.85),
        Pattern("mac_dotted", r"(?<![\w.])[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}(?![\w.])", 0.7),
    ),
    validator=lambda s: s.replace(":", "").replace("-", "").replace(".", "") not in {"0" * 12},
    context=("mac", "hwaddr", "ether", "bssid", "device", "hardware address"),
    priority=80,
)

RECOGNIZERS: tuple[Recognizer, ...] = (IP, MAC)
