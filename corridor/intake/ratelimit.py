"""Rate limits that track nobody and that no stranger can turn against the people they protect.

Counters are rows in the database, so every web worker shares them, and a row is deleted
once its window has passed. A per-source counter is named by a tag: an HMAC of the client
address under a key that only the key service holds, in memory, for one day; nothing at
rest (database, cache, disk) lets anyone test an address against the tags. The client
address comes from X-Forwarded-For only when the request arrived from a trusted proxy.

When a limit is reached a request for help is still accepted, into the held queue that
triage sees separately (DESIGN.md invariant 13). Every decision is taken before the body
is read, so a limited request costs no parsing and no file cleaning.
"""

from __future__ import annotations

import enum
import functools
import ipaddress
import logging
import time

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest

from corridor.intake import conf
from corridor.intake.models import IntakeRequest, RateCounter, RequestState
from corridor.keys import api as keys
from corridor.keys.errors import KeyringError

log = logging.getLogger(__name__)

WINDOW_SECONDS = 3600
# A request carried X-Forwarded-For from a local address that is not a listed proxy:
# `check --deploy` warns for a week after the last time it happened.
UNLISTED_PROXY = "proxy:unlisted"
UNLISTED_PROXY_SECONDS = 7 * 24 * 3600

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class Decision(enum.Enum):
    ACCEPT = "accept"
    HOLD = "hold"  # a limit was reached: accept, but into the held queue, without a file
    REFUSE = "refuse"  # the held queue is full too


# -- the client's address ----------------------------------------------------------------------


@functools.lru_cache(maxsize=4)
def _networks(listed: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(item) for item in listed)


def _trusted(address: Address | None) -> bool:
    if address is None:
        return False
    return any(address in network for network in _networks(tuple(getattr(settings, "TRUSTED_PROXIES", []) or [])))


# Where a reverse proxy on the same machine or network connects from. (Python's is_private
# also covers the documentation ranges, which are public addresses as far as we care.)
_LOCAL = tuple(
    ipaddress.ip_network(n) for n in ("127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "::1/128", "fc00::/7")
)


def _local(address: Address | None) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address is not None and any(address in network for network in _LOCAL)


def _parse(value: str) -> Address | None:
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


def client_address(request: HttpRequest) -> str:
    """REMOTE_ADDR, or the right-most X-Forwarded-For hop that is not a trusted proxy.

    Hops left of it were written by whoever sent the request and prove nothing. A request
    with the header from a local address that is not listed is remembered (as a fact, with
    no address) so `corridor check --deploy` can say that a proxy is missing from the list.
    """
    remote = str(request.META.get("REMOTE_ADDR", ""))
    forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR", ""))
    remote_ip = _parse(remote)
    if not _trusted(remote_ip):
        if forwarded and _local(remote_ip):
            _remember_unlisted_proxy()
        return remote
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    for hop in reversed(hops):
        hop_ip = _parse(hop)
        if hop_ip is None:
            # The proxy wrote something that is not an address: count it with the proxy's own.
            return remote
        if not _trusted(hop_ip):
            return str(hop_ip)
    return str(_parse(hops[0])) if hops else remote


def _remember_unlisted_proxy() -> None:
    try:
        now = int(time.time())
        _count(UNLISTED_PROXY, now // 86400, expires=now + UNLISTED_PROXY_SECONDS)
    except DatabaseError:
        log.warning("rate limits: could not record a request from an unlisted proxy")


def unlisted_proxy_seen() -> bool:
    return RateCounter.objects.filter(name=UNLISTED_PROXY, expires__gt=int(time.time())).exists()


def address_tag(request: HttpRequest) -> str | None:
    """The client address as a tag only the key service can compute; None if it is unreachable."""
    try:
        return keys.address_tag(client_address(request))
    except KeyringError:
        return None


# -- counters -------------------------------------------------------------------------------


def _count(name: str, slot: int, *, expires: int) -> int:
    """Add one to a counter and return its new value, in one statement every worker shares."""
    table = connection.ops.quote_name(RateCounter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (name, slot, hits, expires) VALUES (%s, %s, 1, %s) "  # noqa: S608 - the table name is ours
            "ON CONFLICT (name, slot) DO UPDATE SET hits = " + table + ".hits + 1, expires = excluded.expires RETURNING hits",
            [name, slot, expires],
        )
        row = cursor.fetchone()
    hits = int(row[0]) if row else 1
    if hits == 1:
        # A new window began for this counter: a good moment to forget finished ones.
        RateCounter.objects.filter(expires__lt=int(time.time())).delete()
    return hits


def _hit(scope: str, subject: str, limit: int) -> bool:
    """Count one event; True while the count stays within `limit` for this window."""
    if limit <= 0:
        return True
    now = int(time.time())
    slot = now // WINDOW_SECONDS
    return _count(f"{scope}:{subject}", slot, expires=(slot + 1) * WINDOW_SECONDS) <= limit


def _per_source(scope: str, request: HttpRequest, limit: int) -> bool:
    if limit <= 0:
        return True
    tag = address_tag(request)
    if tag is None:
        return True  # no key service: the global limit still applies
    return _hit(scope, tag, limit)


def held_waiting() -> int:
    return IntakeRequest.objects.filter(held=True, state=RequestState.OPEN).count()


def submission(request: HttpRequest) -> Decision:
    """Whether a request for help goes to the queue, to the held queue, or (held queue full) nowhere.

    A source over its own limit is held, not refused: an address is not a person (a
    carrier's NAT, an office, an onion service where everyone is 127.0.0.1), so refusing
    it could shut out people behind it. Its requests do not count towards the global
    limit, so one source alone cannot send everybody else to the held queue.
    """
    if not _per_source("submit-addr", request, conf.rate("submit_address")):
        within = False
    else:
        within = _hit("submit", "all", conf.rate("submit_global"))
    if within:
        return Decision.ACCEPT
    return Decision.HOLD if held_waiting() < conf.held_max() else Decision.REFUSE


def allow_login(request: HttpRequest) -> bool:
    """Each passphrase entry costs one argon2id run: bound how many the server will do."""
    if not _per_source("login-addr", request, conf.rate("login_address")):
        return False
    return _hit("login", "all", conf.rate("login_global"))


def allow_message(request_id: str) -> bool:
    return _hit("message", request_id, conf.rate("message_codename"))
