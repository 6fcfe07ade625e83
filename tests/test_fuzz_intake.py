"""Fuzz of the public intake pages through Django's test Client (a 500 raises in the test).

Properties: any POST to the help form (random field names, values, sizes, tokens; either
step of a two-step questionnaire), to the return form (random passphrases) and to the
follow-up form answers with a page, never a server error; a refused form stores nothing,
and a stored request is exactly one request with its codename shown.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from corridor.intake import formtoken
from corridor.intake.models import IntakeMessage, IntakeRequest
from corridor.intake.tests.helpers import HELP, RETURN, SEND, answers, passphrase_in

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
PAGE_STATUSES = {200, 302, 303, 400, 403, 404, 405, 413, 429}

text = st.text(max_size=60) | st.text(alphabet="a\u0000\ud7ff\U0010ffff<>\"'&%\r\n", max_size=30) | st.just("x" * 20_000)
field = st.sampled_from(
    ["token", "q_what_happened", "q_where", "q_safe_now", "q_contact", "website", "lang", "codename", "message"]
) | st.text(max_size=20)


@pytest.fixture(autouse=True)
def _open_limits(settings: Any) -> None:
    settings.INTAKE_MIN_FILL_SECONDS = 0
    settings.INTAKE_LOOKUP_FLOOR_SECONDS = 0


def _counts() -> tuple[int, int]:
    return IntakeRequest.objects.count(), IntakeMessage.objects.count()


def _clean(value: str) -> str:
    # The test client encodes the body as UTF-8; lone surrogates cannot be sent by any browser.
    return value.encode("utf-8", "replace").decode("utf-8").replace("\x00", "")


@FUZZ
@given(
    st.dictionaries(field, text | st.lists(text, max_size=3), max_size=8),
    st.booleans(),
    st.sampled_from(["", "?step=1", "?step=2", "?lang=en", "?step=1&lang=xx"]),
)
@example({"q_what_happened": "x" * 20_000}, True, "")
@example({"token": "garbage"}, False, "")
@example({"q_safe_now": ["no", "yes"]}, True, "?step=1")
def test_any_help_form_post_is_a_page_and_stores_only_a_shown_request(
    fields: dict[str, Any], valid_token: bool, query: str
) -> None:
    cache.clear()
    data: dict[str, Any] = answers() if valid_token else {}
    for name, value in fields.items():
        if name == "token" and valid_token:
            continue
        data[_clean(name)] = [_clean(v) for v in value] if isinstance(value, list) else _clean(value)
    before = _counts()
    response = Client(REMOTE_ADDR="198.51.100.9").post(HELP + query, data)
    assert response.status_code in PAGE_STATUSES
    after = _counts()
    if passphrase_in(response) is None:
        assert after == before, (data, query)
    else:
        assert after[0] == before[0] + 1


@FUZZ
@given(text, text)
@example("", "")
@example("a " * 5000, "hello")
@example("слово слово слово слово слово слово", "x")
def test_any_codename_on_the_return_and_send_forms_finds_nothing_and_stores_nothing(codename: str, message: str) -> None:
    cache.clear()
    before = _counts()
    client = Client(REMOTE_ADDR="198.51.100.10")
    response = client.post(RETURN, {"codename": _clean(codename)})
    assert response.status_code in PAGE_STATUSES
    response = client.post(
        SEND, {"codename": _clean(codename), "message": _clean(message), "token": formtoken.issue(now=time.time() - 30)}
    )
    assert response.status_code in PAGE_STATUSES
    assert _counts() == before


def test_a_valid_form_is_stored_once() -> None:
    # The property above must be able to see a stored request: the baseline it compares with.
    cache.clear()
    before = _counts()
    response = Client(REMOTE_ADDR="198.51.100.9").post(HELP, answers())
    assert passphrase_in(response) is not None
    assert _counts()[0] == before[0] + 1
