"""Fill empty msgstr entries of a .po file from a JSON dictionary (English -> translation).

Used when a feature lands: `make messages`, add the new strings to locale/ru/ru.json,
then `python scripts/fill_po.py locale/ru/ru.json locale/ru/LC_MESSAGES/django.po`.
Entries already translated in the .po are left as they are.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path


def _unquote(block: str) -> str:
    return "".join(json.loads(f'"{part}"') for part in re.findall(r'"((?:[^"\\]|\\.)*)"', block))


def _quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def fill(dictionary: dict[str, str], po: str) -> tuple[str, list[str]]:
    missing: list[str] = []
    pattern = re.compile(r'(msgid ((?:".*"\n)+))msgstr ((?:".*"\n)+)')

    def replace(match: re.Match[str]) -> str:
        msgid = _unquote(match.group(2))
        current = _unquote(match.group(3))
        if not msgid or current:
            return match.group(0)
        if msgid not in dictionary:
            missing.append(msgid)
            return match.group(0)
        return f"{match.group(1)}msgstr {_quote(dictionary[msgid])}\n"

    text = pattern.sub(replace, po)
    text = text.replace('#, fuzzy\nmsgid ""', 'msgid ""', 1)
    return text, missing


def main() -> int:
    dictionary = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    po_path = Path(sys.argv[2])
    text, missing = fill(dictionary, po_path.read_text(encoding="utf-8"))
    text = text.replace('"Content-Type: text/plain; charset=CHARSET\\n"', '"Content-Type: text/plain; charset=UTF-8\\n"')
    text = text.replace('"Language: \\n"', '"Language: ru\\n"')
    po_path.write_text(text, encoding="utf-8")
    for msgid in missing:
        print(f"untranslated: {msgid!r}", file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    raise SystemExit(main())
