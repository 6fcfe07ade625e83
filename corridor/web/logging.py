"""A log filter that removes network addresses and masks secret-looking values.

Logs must hold no personal data (invariant 11): a person's IP address is exactly that.
"""

from __future__ import annotations

import logging
import re

_IPV4 = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b")
_IPV6 = re.compile(r"\b(?:[0-9a-fA-F]{1,4}:){2,7}[0-9a-fA-F]{0,4}\b")
_SECRETS = re.compile(r"(?i)\b(password|passwd|secret|token|share|code|key|authorization|cookie|sessionid|csrftoken)([\"']?\s*[:=]\s*[\"']?)([^\s\"'&,;]+)")


def scrub(text: str) -> str:
    text = _SECRETS.sub(lambda m: f"{m.group(1)}{m.group(2)}[masked]", text)
    text = _IPV4.sub("[address]", text)
    return _IPV6.sub("[address]", text)


class ScrubFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = scrub(record.getMessage())
        record.msg = message
        record.args = ()
        # The request object carries the address; the formatted message is all we keep.
        if hasattr(record, "request"):
            record.request = None
        return True
