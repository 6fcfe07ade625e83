"""The public help pages: no cookies, Russian first, sealed-time encryption, codename login,
abuse limits, and no network address kept anywhere."""

from __future__ import annotations

import io
import logging
import pickle
import statistics
import time
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from PIL import Image

from corridor.accounts.models import Role
from corridor.accounts.testing import make_staff
from corridor.intake import domain, formtoken, passphrases
from corridor.intake.models import (
    Direction,
    IntakeAttachment,
    IntakeMessage,
    IntakeRequest,
    Question,
    QuestionnaireVersion,
    RequestState,
    Urgency,
)
from corridor.intake.tests.helpers import (
    HELP,
    RETURN,
    SECRET_CONTACT,
    SECRET_PLACE,
    SECRET_STORY,
    SEND,
    answers,
    passphrase_in,
    submit,
)
from corridor.keys import instance

pytestmark = pytest.mark.django_db
AGE_HEADER = b"age-encryption.org/v1\n"


@pytest.fixture(autouse=True)
def _fresh_limits() -> None:
    cache.clear()


def _reply(request: IntakeRequest, text: str) -> None:
    hotline = make_staff(Role.HOTLINE, username=f"hotline-{IntakeRequest.objects.count()}-{time.monotonic_ns()}")
    domain.reply(hotline, request, text)


# -- the form ---------------------------------------------------------------------------------


def test_form_is_russian_by_default_sets_no_cookie_and_names_no_other_host() -> None:
    response = Client().get(HELP, HTTP_ACCEPT_LANGUAGE="en-GB,en")
    html = response.content.decode()
    assert response.status_code == 200
    assert response.cookies == {}
    assert "Set-Cookie" not in response.headers
    assert '<html lang="ru">' in html
    assert "<title>Corridor</title>" in html
    assert "http://" not in html and "https://" not in html and "//" not in html.replace("<!doctype html>", "")
    assert "<script" not in html
    assert response.headers["Cache-Control"] == "no-store"
    assert 'name="token"' in html


def test_english_is_chosen_in_the_address_and_kept_in_the_form(settings: Any) -> None:
    settings.INTAKE_ORGANISATION_NAME = "Reading Circle"
    response = Client().get(HELP + "?lang=en", HTTP_ACCEPT_LANGUAGE="ru")
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert "<title>Reading Circle</title>" in html
    # The default questionnaire asks a follow-up, so the form's first step posts to ?step=1.
    assert f'action="{HELP}?step=1&amp;lang=en"' in html
    assert "What happened? How can we help?" in html
    assert response.cookies == {}


def test_questions_come_from_the_live_questionnaire() -> None:
    version = QuestionnaireVersion.objects.create(number=2)
    Question.objects.create(
        version=version,
        key="story",
        kind="long",
        required=True,
        wording={"ru": {"label": "Расскажите"}, "en": {"label": "Tell us"}},
    )
    Question.objects.create(
        version=version,
        key="ok",
        kind="choice",
        required=True,
        wording={"en": {"label": "OK?"}},
        choices=[{"value": "y", "labels": {"en": "y"}}, {"value": "n", "labels": {"en": "n"}}],
        emergency_values=["n"],
    )
    QuestionnaireVersion.objects.filter(state="live").update(state="retired")
    QuestionnaireVersion.objects.filter(pk=version.pk).update(state="live")
    html = Client().get(HELP).content.decode()
    assert "Расскажите" in html and 'name="q_story"' in html and 'name="q_what_happened"' not in html
    response = Client().post(HELP, {"token": formtoken.issue(now=time.time() - 30), "q_story": "текст", "q_ok": "n"})
    assert passphrase_in(response) is not None
    request = IntakeRequest.objects.get()
    assert request.urgency == Urgency.EMERGENCY and request.questionnaire_id == version.pk


# -- submitting ---------------------------------------------------------------------------------


def test_submission_while_sealed_is_stored_only_as_age_ciphertext() -> None:
    instance.keyring().seal()
    assert instance.is_sealed()
    response, codename = submit()
    assert response.status_code == 200
    assert response.cookies == {}
    assert codename is not None and len(codename.split()) == 8
    request = IntakeRequest.objects.get()
    message = IntakeMessage.objects.get()
    assert (request.urgency, request.state, request.awaiting_reply, message.direction) == (
        Urgency.EMERGENCY,
        RequestState.OPEN,
        True,
        Direction.IN,
    )
    assert bytes(message.ciphertext).startswith(AGE_HEADER)
    assert request.created_hour.minute == 0 and request.created_hour.second == 0 and request.created_hour.microsecond == 0
    # Nothing of what was written is in the database, in any form.
    at_rest = _everything_at_rest()
    for secret in (SECRET_STORY, SECRET_PLACE, SECRET_CONTACT, codename):
        for form in (secret, secret.lower()):
            assert form.encode("utf-8") not in at_rest
            assert form.encode("utf-16-le") not in at_rest
    # Once unsealed, staff can read it.
    for share in _shares()[:3]:
        instance.keyring().submit_share(share)
    hotline = make_staff(Role.HOTLINE)
    thread = domain.open_thread(hotline, request)
    assert [(a.key, a.value) for a in thread[0].answers] == [
        ("safe_now", "Нет"),  # the label as the person saw it, in the questionnaire's order
        ("where", SECRET_PLACE),
        ("what_happened", SECRET_STORY),
        ("contact", SECRET_CONTACT),
    ]


def _shares() -> list[str]:
    from conftest import SHARES

    return SHARES


def _everything_at_rest() -> bytes:
    """Every row of every table, as the database returns it, plus the database file itself."""
    chunks: list[bytes] = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 -- table names from introspection
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, memoryview | bytes):
                        chunks.append(bytes(value))
                    elif value is not None:
                        chunks.append(str(value).encode("utf-8"))
    name = connection.settings_dict["NAME"]
    if connection.vendor == "sqlite" and Path(str(name)).exists():
        for suffix in ("", "-wal"):
            path = Path(f"{name}{suffix}")
            if path.exists():
                chunks.append(path.read_bytes())
    return b"\n".join(chunks)


def test_a_form_posted_too_fast_is_shown_again_with_the_text_kept(settings: Any) -> None:
    settings.INTAKE_MIN_FILL_SECONDS = 3
    response, codename = submit(token=formtoken.issue())
    html = response.content.decode()
    assert (response.status_code, codename) == (400, None)
    # It says why, not only what to do.
    assert "Сообщение ещё не отправлено: оно пришло слишком скоро после открытия страницы" in html
    assert "Проверьте ответы и нажмите «Отправить» ещё раз." in html
    assert SECRET_STORY in html  # nothing the person wrote is lost
    assert IntakeRequest.objects.count() == 0


def test_a_form_refused_with_a_file_says_the_file_must_be_attached_again(settings: Any) -> None:
    settings.INTAKE_MIN_FILL_SECONDS = 3
    upload = io.BytesIO(_jpeg_with_gps())
    upload.name = "IMG_2041.jpg"
    response = Client().post(HELP + "?lang=en", answers(token=formtoken.issue(), file=upload))
    html = response.content.decode()
    assert (response.status_code, passphrase_in(response)) == (400, None)
    assert "it came very soon after this page opened" in html
    assert "Your file was not kept. Attach it again before you press Send." in html
    # Summarised at the top with every other error, each linked to its field (a phone shows
    # the top of the page first).
    summary = html.split('<div class="error-summary"', 1)[1].split("</div>", 1)[0]
    assert "it came very soon after this page opened" in summary
    assert '<a href="#id_file">' in summary
    assert "Attach it again" in summary


def test_every_field_in_error_is_listed_at_the_top() -> None:
    response, _codename = submit(q_what_happened="", q_safe_now="")
    html = response.content.decode()
    summary = html.split('<div class="error-summary"', 1)[1].split("</div>", 1)[0]
    assert summary.count("<li>") == 2
    assert '<a href="#id_q_what_happened">' in summary
    assert '<a href="#id_q_safe_now_0">' in summary


def test_a_forged_or_expired_token_is_refused(settings: Any) -> None:
    response, codename = submit(token="forged:token")
    assert (response.status_code, codename) == (400, None)
    response, codename = submit(
        token=formtoken.issue(
            now=time.time() - settings.INTAKE_FORM_MAX_AGE_SECONDS - 5
            if hasattr(settings, "INTAKE_FORM_MAX_AGE_SECONDS")
            else time.time() - 7 * 3600
        )
    )
    assert (response.status_code, codename) == (400, None)
    assert "Страница была открыта очень долго." in response.content.decode()
    assert IntakeRequest.objects.count() == 0


def test_one_form_makes_one_request() -> None:
    token = formtoken.issue(now=time.time() - 30)
    first, codename = submit(token=token)
    second, again = submit(token=token)
    assert first.status_code == 200 and codename is not None
    assert (second.status_code, again) == (409, None)
    assert "Эта форма уже была отправлена." in second.content.decode()
    assert IntakeRequest.objects.count() == 1


def test_required_answers_are_asked_for_and_nothing_is_saved() -> None:
    response, codename = submit(q_what_happened="", q_safe_now="")
    assert (response.status_code, codename) == (400, None)
    assert response.content.decode().count('class="error"') == 2
    assert IntakeRequest.objects.count() == 0


def test_a_message_that_looks_like_a_codename_is_refused() -> None:
    response, codename = submit(q_what_happened="мой код гитара пирог облако ракета зебра глобус")
    assert (response.status_code, codename) == (400, None)
    assert "Похоже, в сообщении есть кодовое имя." in response.content.decode()
    assert IntakeRequest.objects.count() == 0


def test_submission_rate_limit_holds_instead_of_refusing(settings: Any) -> None:
    settings.INTAKE_RATE_LIMITS = {"submit_address": 2, "submit_global": 100}
    client = Client(REMOTE_ADDR="192.0.2.10")
    results = [submit(client) for _ in range(3)]
    assert [(response.status_code, codename is not None) for response, codename in results] == [(200, True)] * 3
    assert sorted(IntakeRequest.objects.values_list("held", flat=True)) == [False, False, True]
    # Another address still goes to the queue until the global limit.
    submit(Client(REMOTE_ADDR="192.0.2.11"))
    assert IntakeRequest.objects.filter(held=False).count() == 3
    # The global counter counts what passed the address limit: three so far.
    settings.INTAKE_RATE_LIMITS = {"submit_address": 0, "submit_global": 3}
    response, codename = submit(Client(REMOTE_ADDR="192.0.2.12"))
    assert (response.status_code, codename is not None) == (200, True)
    assert list(IntakeRequest.objects.filter(held=True).values_list("held", flat=True)) == [True, True]
    assert IntakeRequest.objects.count() == 5


def test_no_address_is_kept_in_database_logs_or_cache(caplog: pytest.LogCaptureFixture) -> None:
    address = "203.0.113.77"
    caplog.set_level(logging.DEBUG)
    client = Client(REMOTE_ADDR=address)
    response, codename = submit(client)
    assert codename is not None
    client.post(RETURN, {"codename": codename})
    client.post(RETURN, {"codename": "лес " * 8})
    client.get("/help/nothing-here/")
    assert IntakeRequest.objects.count() == 1
    at_rest = _everything_at_rest()
    for form in (address.encode(), address.encode("utf-16-le"), b"203.0.113"):
        assert form not in at_rest
    assert address not in caplog.text
    for record in caplog.records:
        assert address not in str(record.__dict__)
    from corridor.intake.models import RateCounter

    assert RateCounter.objects.filter(name__startswith="submit-addr:").count() == 1
    cached = _cache_contents()
    assert address.encode() not in cached
    assert b"203.0.113" not in cached


def _cache_contents() -> bytes:
    # LocMemCache keeps pickled values in a dict; look at every key and value.
    store: dict[str, Any] = getattr(cache, "_cache", {})
    chunks = [key.encode() + b"=" + (value if isinstance(value, bytes) else pickle.dumps(value)) for key, value in store.items()]
    return b"\n".join(chunks)


# -- coming back ------------------------------------------------------------------------------


def test_person_comes_back_reads_the_reply_and_writes_again() -> None:
    _response, codename = submit()
    assert codename is not None
    request = IntakeRequest.objects.get()
    _reply(request, "Мы получили ваше сообщение. Напишите, когда сможете говорить.")
    latin = " ".join(passphrases.latin_spelling(w) for w in codename.split())
    response = Client().post(RETURN, {"codename": latin.upper()})
    html = response.content.decode()
    assert response.status_code == 200
    assert response.cookies == {}
    assert "Мы получили ваше сообщение. Напишите, когда сможете говорить." in html
    assert SECRET_STORY not in html  # the person's own words are not shown back
    at_rest = _everything_at_rest()
    for text in ("Мы получили ваше сообщение", SECRET_STORY):
        assert text.encode() not in at_rest and text.encode("utf-16-le") not in at_rest
    response = Client().post(SEND, {"codename": codename, "text": "Спасибо, я в безопасности до завтра."})
    assert response.status_code == 200
    assert "Ваше сообщение отправлено." in response.content.decode()
    request.refresh_from_db()
    assert request.awaiting_reply is True
    assert list(IntakeMessage.objects.filter(request=request).values_list("seq", "direction")) == [
        (1, "in"),
        (2, "out"),
        (3, "in"),
    ]
    thread = domain.open_thread(make_staff(Role.HOTLINE, username="reader"), request)
    assert thread[2].answers[0].value == "Спасибо, я в безопасности до завтра."


def test_a_follow_up_containing_the_codename_is_refused() -> None:
    _response, codename = submit()
    assert codename is not None
    words = codename.split()
    response = Client().post(SEND, {"codename": codename, "text": f"Это я, {' '.join(words[2:6])}, напишите мне"})
    assert response.status_code == 400
    assert "Похоже, в сообщении есть кодовое имя." in response.content.decode()
    assert IntakeMessage.objects.count() == 1


def test_a_follow_up_longer_than_the_setting_is_refused(settings: Any) -> None:
    _response, codename = submit()
    assert codename is not None
    settings.INTAKE_MAX_TEXT_CHARS = 50
    response = Client().post(SEND, {"codename": codename, "text": "а" * 51})
    assert response.status_code == 400
    assert 'maxlength="50"' in response.content.decode()
    assert IntakeMessage.objects.count() == 1
    assert Client().post(SEND, {"codename": codename, "text": "а" * 50}).status_code == 200


def test_wrong_codename_finds_nothing_and_sends_nothing() -> None:
    submit()
    response = Client().post(RETURN, {"codename": "лес кот рояль сова арбуз маяк звезда пирог"})
    assert response.status_code == 400
    assert "По этому кодовому имени ничего не найдено." in response.content.decode()
    response = Client().post(SEND, {"codename": "лес кот рояль сова арбуз маяк звезда пирог", "text": "привет"})
    assert response.status_code == 400
    assert IntakeMessage.objects.count() == 1
    response = Client().post(RETURN, {"codename": "не кодовое имя"})
    assert response.status_code == 400
    assert "Кодовое имя — это 8 слов из нашего списка." in response.content.decode()


def test_spam_requests_cannot_be_opened_with_their_codename() -> None:
    _response, codename = submit()
    IntakeRequest.objects.update(state=RequestState.SPAM)
    assert Client().post(RETURN, {"codename": codename}).status_code == 400


def test_login_rate_limit_engages(settings: Any) -> None:
    settings.INTAKE_RATE_LIMITS = {"login_address": 3, "login_global": 100}
    client = Client(REMOTE_ADDR="192.0.2.20")
    codes = [client.post(RETURN, {"codename": "лес кот рояль сова арбуз маяк звезда пирог"}).status_code for _ in range(4)]
    assert codes == [400, 400, 400, 429]


def test_follow_up_rate_limit_per_codename(settings: Any) -> None:
    settings.INTAKE_RATE_LIMITS = {"message_codename": 2, "login_address": 100}
    _response, codename = submit()
    codes = [Client().post(SEND, {"codename": codename, "text": f"сообщение {i}"}).status_code for i in range(3)]
    assert codes == [200, 200, 429]
    assert IntakeMessage.objects.count() == 3


def test_right_and_wrong_codename_take_the_same_time(settings: Any) -> None:
    """With the production KDF, the median response times differ by less than the tolerance."""
    settings.INTAKE_INSECURE_FAST_KDF = False
    settings.INTAKE_RATE_LIMITS = {"login_address": 0, "login_global": 0}
    _response, codename = submit()
    assert codename is not None
    request = IntakeRequest.objects.get()
    for i in range(3):  # a thread with replies to decrypt: the slower, "found" path
        _reply(request, f"Ответ номер {i}")
    wrong = "лес кот рояль сова арбуз маяк звезда пирог"
    client = Client()

    def timed(value: str, expected: int) -> float:
        started = time.perf_counter()
        response = client.post(RETURN, {"codename": value})
        elapsed = time.perf_counter() - started
        assert response.status_code == expected
        return elapsed

    timed(codename, 200), timed(wrong, 400)  # warm up
    right_times = [timed(codename, 200) for _ in range(5)]
    wrong_times = [timed(wrong, 400) for _ in range(5)]
    right, wrong_median = statistics.median(right_times), statistics.median(wrong_times)
    floor = settings.INTAKE_LOOKUP_FLOOR_SECONDS if hasattr(settings, "INTAKE_LOOKUP_FLOOR_SECONDS") else 0.25
    assert right >= floor and wrong_median >= floor
    assert abs(right - wrong_median) < 0.03, (right_times, wrong_times)


# -- files --------------------------------------------------------------------------------------


def _jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (64, 48), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (43.0, 18.0, 0.0)}  # GPS IFD
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def test_file_is_stripped_encrypted_and_readable_by_staff() -> None:
    original = _jpeg_with_gps()
    assert b"PhoneMaker" in original
    upload = io.BytesIO(original)
    upload.name = "IMG_2041.jpg"
    response, codename = submit(file=upload)
    assert response.status_code == 200 and codename is not None
    stored = IntakeAttachment.objects.get()
    assert bytes(stored.ciphertext).startswith(AGE_HEADER)
    assert b"PhoneMaker" not in _everything_at_rest()
    hotline = make_staff(Role.HOTLINE)
    opened = domain.open_attachment(hotline, stored)
    assert (opened.name, opened.content_type) == ("IMG_2041.jpg", "image/jpeg")
    assert b"PhoneMaker" not in opened.data
    assert Image.open(io.BytesIO(opened.data)).getexif() == {}


def test_too_large_or_wrong_files_are_refused_with_a_reason(settings: Any) -> None:
    settings.INTAKE_MAX_FILE_BYTES = 1024 * 1024
    big = io.BytesIO(b"a" * (1024 * 1024 + 10))
    big.name = "notes.txt"
    response, codename = submit(file=big)
    assert (response.status_code, codename) == (400, None)
    assert "Файл больше 1 МБ." in response.content.decode()
    program = io.BytesIO(b"MZ\x90\x00" + b"\x00" * 200)
    program.name = "photo.jpg"
    response = Client().post(HELP + "?lang=en", answers(file=program))
    assert (response.status_code, passphrase_in(response)) == (400, None)
    assert "This file type is not accepted: a Windows program." in response.content.decode()
    assert IntakeRequest.objects.count() == 0
    assert list(Path(settings.FILE_UPLOAD_TEMP_DIR or "/tmp").glob("*.upload*")) == []  # noqa: S108 -- looking, not writing


def test_a_keystore_that_fails_its_pin_refuses_requests_and_keeps_the_text(settings: Any) -> None:
    """An edited keystore must not redirect requests for help to someone else's key."""
    from corridor.keys import crypto

    _identity, attacker = crypto.generate_age_identity()
    settings.INTAKE_RECIPIENT = attacker  # the pin no longer matches this instance's key
    before = IntakeRequest.objects.count()
    response, codename = submit(q_what_happened="Нас ищут, нужна помощь")
    assert response.status_code == 503
    assert codename is None
    assert "Нас ищут, нужна помощь" in response.content.decode()
    assert IntakeRequest.objects.count() == before


def test_the_right_pin_lets_requests_through(settings: Any) -> None:
    settings.INTAKE_RECIPIENT = instance.keyring().intake_recipient()
    response, codename = submit()
    assert response.status_code == 200
    assert codename


def test_in_russian_the_intake_emergency_is_not_called_by_the_case_priority_urgent_word() -> None:
    from django.utils import translation

    from corridor.cases.models import Priority

    with translation.override("ru"):
        emergency, urgent, case_emergency = (
            str(Urgency.EMERGENCY.label),
            str(Priority.URGENT.label),
            str(Priority.EMERGENCY.label),
        )
    assert (emergency, urgent, case_emergency) == ("Экстренно: в опасности сейчас", "срочный", "экстренный")
    assert "срочн" not in emergency.lower()
