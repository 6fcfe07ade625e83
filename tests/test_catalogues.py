"""Every shipped translation catalogue is complete and well formed.

`make install` compiles with `msgfmt --check-format`, which lets a plural entry with fewer
forms than the header's nplurals through; Russian has four (the fourth for fractions, as in
Django's own catalogues), and a missing form would show the English text. `msgfmt --check`
also refuses a form that drops the number its msgid_plural prints. Untranslated or fuzzy
entries show English to a Russian reader, so they fail here too.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CATALOGUES = sorted(p for p in ROOT.glob("**/locale/*/LC_MESSAGES/*.po") if ".venv" not in p.parts)

pytestmark = pytest.mark.skipif(shutil.which("msgfmt") is None, reason="gettext is installed by make test")


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, check=False)  # noqa: S603 -- gettext's own tools


def test_the_catalogues_are_found() -> None:
    names = {str(p.relative_to(ROOT)) for p in CATALOGUES}
    assert "locale/ru/LC_MESSAGES/django.po" in names
    assert "corridor/intake/locale/ru/LC_MESSAGES/django.po" in names


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: str(p.relative_to(ROOT)))
def test_catalogue_passes_msgfmt_check(po: Path) -> None:
    result = _run("msgfmt", "--check", "-o", "/dev/null", str(po))
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: str(p.relative_to(ROOT)))
def test_catalogue_has_no_fuzzy_or_untranslated_entry(po: Path) -> None:
    for flag in ("--only-fuzzy", "--untranslated"):
        result = _run("msgattrib", flag, "--no-obsolete", str(po))
        assert result.returncode == 0, result.stderr
        entries = [line for line in result.stdout.splitlines() if line.startswith("msgid ")]
        # An empty output, or only the header entry (msgid ""), means none.
        assert entries in ([], ['msgid ""']), f"{flag}: {entries[:5]}"


def test_a_missing_plural_form_is_caught(tmp_path: Path) -> None:
    # The check above would pass on a broken file if msgfmt --check ignored plural counts.
    po = tmp_path / "broken.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n'
        '"Plural-Forms: nplurals=4; plural=(n%10==1 && n%100!=11 ? 0 : 1);\\n"\n\n'
        'msgid "%(count)d case"\nmsgid_plural "%(count)d cases"\n'
        'msgstr[0] "%(count)d дело"\nmsgstr[1] "%(count)d дела"\nmsgstr[2] "%(count)d дел"\n',
        encoding="utf-8",
    )
    assert _run("msgfmt", "--check", "-o", "/dev/null", str(po)).returncode != 0
