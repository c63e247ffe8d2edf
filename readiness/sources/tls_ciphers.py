"""TLS 1.2 cipher suites: which ones this machine can offer, and what a scan found.

A scan offers, in one handshake, every TLS 1.2 suite outside the policy that the local
OpenSSL can offer. A refusal means the server accepts none of them (one handshake for a
compliant server). An acceptance names one suite the server took; it is removed from
the offer and the handshake repeated until the server refuses, so a server accepting k
suites outside the policy costs k + 1 handshakes, never more than the offer plus one.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from typing import Any

#: Key exchanges that need a secret shared beforehand: no handshake can test them.
_SHARED_SECRET_KX = frozenset({"kx-psk", "kx-rsa-psk", "kx-dhe-psk", "kx-ecdhe-psk", "kx-srp"})
#: Legacy suites servers still accept; listed as untested when the local OpenSSL lacks them.
LEGACY_SUITES = (
    "DES-CBC3-SHA",
    "ECDHE-RSA-DES-CBC3-SHA",
    "EDH-RSA-DES-CBC3-SHA",
    "RC4-SHA",
    "RC4-MD5",
    "ECDHE-RSA-RC4-SHA",
    "DES-CBC-SHA",
    "EXP-RC4-MD5",
    "IDEA-CBC-SHA",
    "SEED-SHA",
)
_EVERYTHING = "ALL:COMPLEMENTOFALL:@SECLEVEL=0"


def _client(ciphers: str) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_ciphers(ciphers)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    return ctx


@dataclass(frozen=True, slots=True)
class LocalSuites:
    """The TLS 1.2 suites this machine's OpenSSL can offer, and what it cannot test."""

    library: str
    offerable: tuple[str, ...]
    untested: tuple[str, ...]

    def outside(self, allowed: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(s for s in self.offerable if s not in allowed)


def local_suites() -> LocalSuites:
    """Read once per run: every suite ``ALL:COMPLEMENTOFALL`` gives for TLS 1.2."""
    offerable: list[str] = []
    shared_secret = 0
    for suite in _client(_EVERYTHING).get_ciphers():
        if suite["protocol"] == "TLSv1.3":
            continue
        if suite["kea"] in _SHARED_SECRET_KX:
            shared_secret += 1
        else:
            offerable.append(suite["name"])
    missing = []
    for name in LEGACY_SUITES:
        try:
            _client(f"{name}:@SECLEVEL=0")
        except ssl.SSLError:
            missing.append(name)
    untested = [f"{n} (not in this machine's TLS library)" for n in missing]
    if shared_secret:
        untested.append(f"{shared_secret} PSK/SRP suites (need a pre-shared key or SRP login)")
    return LocalSuites(ssl.OPENSSL_VERSION, tuple(offerable), tuple(untested))


def offer(suites: tuple[str, ...]) -> ssl.SSLContext:
    """A client context offering exactly ``suites``, TLS 1.2 only, without verification
    (the chain is judged by its own check)."""
    return _client(":".join(suites) + ":@SECLEVEL=0")


@dataclass(frozen=True, slots=True)
class CipherScan:
    """The TLS 1.2 suites outside a policy that a server accepted."""

    address: str
    offered: tuple[str, ...]  # suites outside the policy this machine could offer
    accepted: tuple[str, ...]  # in the order the server chose them
    handshakes: int
    refusal: str  # how the server refused the last offer; "" when cut short
    complete: bool  # False: the scan's deadline ended it before a refusal
    untested: tuple[str, ...]
    library: str

    def summary(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "accepted_outside_policy": list(self.accepted),
            "offered_outside_policy": len(self.offered),
            "handshakes": self.handshakes,
            **({"refused_with": self.refusal} if self.refusal else {}),
            "complete": self.complete,
            "not_tested": list(self.untested),
            "tls_library": self.library,
        }
