"""The log filter removes addresses and secrets but leaves clock times readable."""

from __future__ import annotations

from corridor.web.logging import scrub


def test_addresses_are_removed_and_times_kept() -> None:
    line = "06:42:51 GET /help/ from 203.0.113.7 via 2001:db8::1 and fe80:0:0:0:0:0:0:1"
    assert scrub(line) == "06:42:51 GET /help/ from [address] via [address] and [address]"


def test_secret_looking_values_are_masked() -> None:
    assert scrub("password=hunter2 token: crd_abc share=ABCD-EFGH") == "password=[masked] token: [masked] share=[masked]"
