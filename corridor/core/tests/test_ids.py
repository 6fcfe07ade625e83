"""parse_id: every malformed id is a 404, every well-formed one the same UUID."""

from __future__ import annotations

import uuid

import pytest
from django.http import Http404

from corridor.core.ids import parse_id


def test_a_uuid_and_its_text_forms_parse_to_the_same_value() -> None:
    value = uuid.uuid4()
    assert parse_id(value) == value
    assert parse_id(str(value)) == value
    assert parse_id(value.hex) == value
    assert parse_id(str(value).upper()) == value


@pytest.mark.parametrize("bad", ["", "abc", "1", "' OR 1=1 --", None, 12, "0" * 31, "6f1c2a44-59b1-4d0e-9a8e-2f6a3c1d7b900"])
def test_anything_else_answers_404(bad: object) -> None:
    with pytest.raises(Http404):
        parse_id(bad)
