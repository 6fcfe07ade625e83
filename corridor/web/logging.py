"""A log filter that removes network addresses and masks secret-looking values.

Logs must hold no personal data (invariant 11): a person's IP address is exactly that.
"""

from __future__ import annotations

import ipaddress
import logging
import re

_IPV4 = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b")
# Candidates for IPv6 (with "::" compression and IPv4 tails), each checked by ipaddress, so
# clock times like 06:42:51 are left alone.
_IPV6_CANDIDATE = re.compile(r"(?<![0-9A-Za-z:.])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:\.\d{1,3}){0,3}(?![0-9A-Za-z:])")
_SECRETS = re.compile(r"(?i)\b(password|passwd|secret|token|share|code|key|authorization|cookie|sessionid|csrftoken)([\"']?\s*[:=]\s*[\"']?)([^\s\"'&,;]+)")


def scrub(text: str) -> str:
    text = _SECRETS.sub(lambda m: f"{m.group(1)}{m.group(2)}[masked]", text)
    text = _IPV4.sub("[address]", text)
    return _IPV6_CANDIDATE.sub(_ipv6_or_keep, text)


def _ipv6_or_keep(match: re.Match[str]) -> str:
    try:
        ipaddress.IPv6Address(match.group(0))
    except ValueError:
        return match.group(0)
    return "[address]"


class ScrubFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = scrub(record.getMessage())
        record.msg = message
        record.args = ()
        # The request object carries the address; the formatted message is all we keep.
        if hasattr(record, "request"):
            record.request = None
        return True
