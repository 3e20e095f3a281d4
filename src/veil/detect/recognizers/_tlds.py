"""Top-level domains accepted for URLs written without a scheme (``example.com``).

A URL with a scheme (``https://...``) needs no list. Bare domains are only
reported for these TLDs, which keeps file names (``setup.py``, ``main.rs``) out.
"""

from __future__ import annotations

GENERIC = (
    "academy agency app art biz blog cafe capital care center chat city cloud club co com company "
    "consulting design dev digital directory edu email energy engineering events expert finance fund "
    "gallery global gov group guide guru health host info institute int international io jobs land "
    "law legal life live ltd management market marketing media mil mobi museum name net network news "
    "ninja online org partners photo photography pro pub services shop site social software solutions "
    "space store studio systems tech technology tel today tools travel tv university web website wiki "
    "work works world xyz zone"
).split()

COUNTRY = (
    "ae ar at au be bg br by ca ch cl cn cz de dk ee eg es eu fi fr gr hk hr hu id ie il in ir is it "
    "jp ke kr lt lu lv ma mx my ng nl no nz pe ph pk pt ro ru sa se sg si sk th tr tw ua uk us vn za"
).split()

#: Longest first so that ``.biz`` is never cut to ``.bi``.
BARE_DOMAIN_TLDS: tuple[str, ...] = tuple(sorted(set(GENERIC + COUNTRY), key=lambda t: (-len(t), t)))
