"""`corridor --help` names the commands an operator runs, the daily intake purge included."""

from __future__ import annotations

import pytest

from corridor import cli


def test_help_lists_the_daily_intake_purge(capsys: pytest.CaptureFixture[str]) -> None:
    cli.main(["--help"])
    lines = capsys.readouterr().out.splitlines()
    purge = [line.split() for line in lines if line.strip().startswith("intake_purge ")]
    assert purge == [["intake_purge", *cli.COMMANDS["intake_purge"].split()]]
    assert "run daily" in cli.COMMANDS["intake_purge"]
