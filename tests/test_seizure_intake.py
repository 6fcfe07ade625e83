"""The seizure test for the anonymous intake (Invariants 1, 3, 9, 11): a request in Russian with
a GPS-tagged photo sent while sealed, then a reply, a follow-up and a case opened from it.

Nothing the person or the hotline wrote, no file name, no EXIF, no network address, no
user agent and no codename may be found at rest, whether sealed or unsealed.
"""

from __future__ import annotations

import io
import ipaddress
import re
import time
from typing import Any

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from corridor.accounts.models import Role, Team, User
from corridor.accounts.testing import make_staff, sign_in
from corridor.cases.models import Document
from corridor.intake import domain, passphrases
from corridor.intake.models import Direction, IntakeMessage, RequestState
from corridor.intake.tests.helpers import HELP, RETURN, SEND, passphrase_in
from corridor.keys import instance
from tests.seizure import (
    Secret,
    captured_logs,
    gps_photo,
    gps_seconds,
    gps_secrets,
    needles,
    ok,
    phone,
    scan_at_rest,
    scan_sources,
    sources_at_rest,
    token,
)

pytestmark = [pytest.mark.django_db(transaction=True)]

# Documentation addresses (RFC 5737): the first sends the request, the second comes back.
PERSON_IP = "198.51.100.23"
RETURN_IP = "203.0.113.77"


@pytest.fixture(autouse=True)
def _fast_public_form(settings: Any) -> None:
    # The form's minimum fill time and the lookup floor protect people, not this test.
    settings.INTAKE_MIN_FILL_SECONDS = 0
    settings.INTAKE_LOOKUP_FLOOR_SECONDS = 0
    cache.clear()


def _address_secrets(label: str, address: str) -> dict[str, Secret]:
    """An IPv4 address as text (every encoding via needles()) and as a packed IPv6-mapped address.

    The bare 4-byte form is too short to search for without chance matches in ciphertext.
    """
    mapped = ipaddress.IPv6Address(f"::ffff:{address}")
    return {label: address, f"{label} (IPv6-mapped)": str(mapped), f"{label} (packed IPv6-mapped)": mapped.packed}


def _form_token(page: str) -> str:
    match = re.search(r'name="token" value="([^"]+)"', page)
    assert match, "the help form carries its one-time token"
    return match.group(1)


def _codename_secrets(codename: str) -> dict[str, Secret]:
    """The codename whole, in both scripts and with any separator, and each pair of its words."""
    words = codename.split()
    latin = [passphrases.latin_spelling(word) for word in words]
    found: dict[str, Secret] = {}
    for script, spelled in (("Cyrillic", words), ("Latin", latin)):
        for name, joiner in (("spaces", " "), ("hyphens", "-"), ("run together", "")):
            found[f"codename ({script}, {name})"] = joiner.join(spelled)
        for index in range(len(spelled) - 1):
            found[f"codename words {index + 1}-{index + 2} ({script})"] = f"{spelled[index]} {spelled[index + 1]}"
    return found


def _words_not_in(baseline: list[tuple[str, bytes]], codename: str) -> tuple[dict[str, Secret], list[str]]:
    """Each codename word alone, except words already at rest before anything was planted.

    A word is one of ~2,000 (11 bits) and short Russian words occur inside country names
    (stored in clear on purpose); only a word that was not at rest before can be a leak.
    """
    checked: dict[str, Secret] = {}
    skipped: list[str] = []
    for index, word in enumerate(codename.split(), start=1):
        for script, spelled in (("Cyrillic", word), ("Latin", passphrases.latin_spelling(word))):
            present = any(needle in data for _form, needle in needles(spelled) for _source, data in baseline)
            if present:
                skipped.append(f"word {index} ({script})")
            else:
                checked[f"codename word {index} ({script})"] = spelled
    return checked, skipped


def _image_without_metadata(data: bytes) -> None:
    image = Image.open(io.BytesIO(data))
    assert (image.format, image.size, dict(image.getexif())) == ("JPEG", (48, 32), {})


def test_intake_sealed_and_unsealed_leaves_nothing_at_rest(shares: list[str]) -> None:
    t = token()
    typed_phone, phone_digits = phone()
    lat_s, lon_s = gps_seconds(), gps_seconds()
    s: dict[str, Secret] = {
        "story (Cyrillic)": f"Подвал-{t}: меня держали три дня",
        "story (Latin)": f"Basement-{t}",
        "where (Cyrillic)": f"Гудермес-{t}, у тёти Мадины",
        "where (Latin)": f"Gudermes-{t}",
        "contact": f"Сигнал-{t} {typed_phone}",
        "contact phone": typed_phone,
        "contact phone (digits)": phone_digits,
        "photo file name": f"Фото-{t}",
        "EXIF artist": f"Artist-{t}",
        "user agent": f"Mozilla/5.0 (Linux; Android 9) Planted-{t}",
        **gps_secrets(lat_s, lon_s),
        **_address_secrets("person's address", PERSON_IP),
        **_address_secrets("person's address when coming back", RETURN_IP),
    }
    story = f"{s['story (Cyrillic)']} ({s['story (Latin)']})"
    where = f"{s['where (Cyrillic)']} ({s['where (Latin)']})"
    photo = gps_photo(str(s["EXIF artist"]), lat_s, lon_s)
    assert str(s["EXIF artist"]).encode() in photo and gps_secrets(lat_s, lon_s)["GPS rational 0"] in photo  # planted for real
    baseline = sources_at_rest()  # before anything is planted: for the codename's single words

    with captured_logs() as logs:
        # -- sealed: the person asks for help through the real public form ---------------------
        instance.keyring().seal()
        assert instance.is_sealed()
        person = Client(REMOTE_ADDR=PERSON_IP, HTTP_USER_AGENT=s["user agent"])
        form_page = ok(person.get(HELP), "help form").content.decode()
        response = ok(
            person.post(
                HELP,
                {
                    "token": _form_token(form_page),
                    "q_what_happened": story,
                    "q_where": where,
                    "q_safe_now": "no",
                    "q_contact": s["contact"],
                    "file": SimpleUploadedFile(f"{s['photo file name']}.jpg", photo, content_type="image/jpeg"),
                },
            ),
            "submission",
        )
        codename = passphrase_in(response)
        assert codename is not None and len(codename.split()) == 8, response.content.decode()[:2000]
        s |= _codename_secrets(codename)
        stored = IntakeMessage.objects.get()
        assert (bytes(stored.ciphertext)[:22], stored.attachments.count()) == (b"age-encryption.org/v1\n", 1)

        sealed_findings = scan_at_rest(s, extra={"captured logs": logs.getvalue().encode()})
        assert sealed_findings == []
        assert instance.is_sealed()

        # -- unsealed: a hotline operator reads, replies; the person writes again ------------------
        for share in shares[:3]:
            instance.keyring().submit_share(share)
        assert not instance.is_sealed()
        team = Team.objects.create(name="Hotline North Caucasus")
        operator = make_staff(Role.HOTLINE, teams=[team], username="seizure-hotline")
        staff = sign_in(Client(), operator)
        thread = domain.find(codename)
        assert thread is not None
        request = thread.request
        triage_url = reverse("intake:request", args=[request.pk])

        first_read = ok(staff.get(triage_url), "triage page").content.decode()
        for label in ("story (Cyrillic)", "story (Latin)", "where (Cyrillic)", "where (Latin)", "contact"):
            assert str(s[label]) in first_read, label
        photo_link = re.search(rf'href="({re.escape(triage_url)}files/[0-9a-f-]+/)"', first_read)
        assert photo_link, "the triage page links the photo"
        served_photo = ok(staff.get(photo_link.group(1)), "attachment")
        _image_without_metadata(served_photo.content)

        s["reply (Cyrillic)"] = f"Ответ-{t}: мы прочитали, напишите город"
        s["reply (Latin)"] = f"Reply-{t}"
        reply = f"{s['reply (Cyrillic)']} ({s['reply (Latin)']})"
        ok(staff.post(triage_url, {"action": "reply", "text": reply}), "reply")

        back = Client(REMOTE_ADDR=RETURN_IP, HTTP_USER_AGENT=s["user agent"])
        person_page = ok(back.post(RETURN, {"codename": codename}), "coming back").content.decode()
        assert f'<div class="text">{reply}</div>' in person_page

        s["follow-up (Cyrillic)"] = f"Ещё-{t}: они снова приходили к матери"
        s["follow-up (Latin)"] = f"Followup-{t}"
        s["letter file name"] = f"Письмо-{t}"
        s["letter text"] = f"Адреса-{t}: улица Шейха Мансура 9"
        letter = SimpleUploadedFile(f"{s['letter file name']}.txt", str(s["letter text"]).encode(), content_type="text/plain")
        followup = f"{s['follow-up (Cyrillic)']} ({s['follow-up (Latin)']})"
        sent = ok(back.post(SEND, {"codename": codename, "text": followup, "file": letter}), "follow-up").content.decode()
        assert 'role="status"' in sent

        second_read = ok(staff.get(triage_url), "triage page again").content.decode()
        assert str(s["follow-up (Cyrillic)"]) in second_read and str(s["follow-up (Latin)"]) in second_read
        assert str(s["reply (Cyrillic)"]) in second_read

        # -- the hotline opens a case: the person's messages and files move under the case key --
        s["alias"] = f"Ахмед-{t}"
        ok(
            staff.post(triage_url, {"action": "open_case", "name": s["alias"], "team": str(team.pk), "priority": "emergency"}),
            "open case",
        )
        request.refresh_from_db()
        assert request.state == RequestState.CASE and request.case is not None
        remaining = list(IntakeMessage.objects.filter(request=request).values_list("direction", flat=True))
        assert remaining == [Direction.OUT]  # the reply stays readable with the codename; the rest moved

        # A caseworker of the team reads what moved: the thread as a note, the files as documents.
        caseworker = sign_in(Client(), make_staff(Role.CASEWORKER, teams=[team], username="seizure-intake-caseworker"))
        case_page = ok(caseworker.get(reverse("cases:case", args=[request.case.pk])), "case page").content.decode()
        documents_page = ok(caseworker.get(reverse("cases:documents", args=[request.case.pk])), "documents").content.decode()
        for label in ("story (Cyrillic)", "where (Latin)", "contact", "follow-up (Cyrillic)"):
            assert str(s[label]) in case_page, label
        new_person = request.case.members.get().person
        assert str(s["alias"]) in ok(caseworker.get(reverse("cases:person", args=[new_person.pk])), "person").content.decode()
        assert f"{s['photo file name']}.jpg" in documents_page and f"{s['letter file name']}.txt" in documents_page
        files = {d.filename: d for d in Document.objects.filter(case=request.case)}
        letter_served = ok(
            caseworker.get(reverse("cases:document_file", args=[files[f"{s['letter file name']}.txt"].pk])), "letter"
        )
        assert letter_served.content == str(s["letter text"]).encode()
        photo_served = ok(caseworker.get(reverse("cases:document_file", args=[files[f"{s['photo file name']}.jpg"].pk])), "photo")
        _image_without_metadata(photo_served.content)

        # The person still reads the reply after the move.
        assert str(s["reply (Latin)"]) in ok(back.post(RETURN, {"codename": codename}), "coming back again").content.decode()

    sources = sources_at_rest({"captured logs": logs.getvalue().encode()})
    assert logs.getvalue().count("django.db.backends DEBUG") > 100, "the SQL of the whole run was captured"
    assert scan_sources(s, sources) == []

    words, skipped = _words_not_in(baseline, codename)
    # Most words are not in any country name; only those can be checked alone.
    assert len(words) >= len(codename.split()), (skipped, codename)
    assert scan_sources(words, sources) == []


def test_the_intake_scan_finds_a_codename_and_an_address_stored_in_clear() -> None:
    """Negative control: the same needles find a codename and an address written in clear."""
    codename = passphrases.generate(8)
    secrets = {**_codename_secrets(codename), **_address_secrets("address", PERSON_IP)}
    # A staff member's name is stored in clear on purpose: long enough for the whole codename.
    User.objects.create(
        username="control",
        role=Role.HOTLINE,
        first_name=codename,
        last_name=f"{ipaddress.IPv6Address(f'::ffff:{PERSON_IP}')} {PERSON_IP}",
    )
    findings = scan_at_rest(secrets)
    found = {finding.split(" (")[0] for finding in findings}
    assert found >= {"codename", "address"}, findings
    assert any(f.startswith("codename (Cyrillic, spaces) (utf-8, as typed) in ") for f in findings), findings
    assert any(f.startswith("address (utf-8, as typed) in ") for f in findings), findings


def test_answers_to_custom_questions_leave_nothing_at_rest(shares: list[str]) -> None:
    """Issue 18: an organisation's own questions (every kind, a follow-up asked on the form's
    second step, a file question) and the answers mapped into a new case leave nothing at rest."""
    from corridor.intake.domain import questionnaires

    t = token()
    s: dict[str, Secret] = {
        "custom short answer": f"Тюрьма-{t} под Аргуном",
        "follow-up answer": f"Кадыровцы-{t}, трое",
        "custom long answer": f"Забрали-{t} телефон и паспорт",
        "custom date answer": "2019-03-07",
        "mapped location": f"Моздок-{t}",
        "mapped contact": f"Сигнал-{t} для связи",
        "custom file name": f"Справка-{t}",
        "custom file text": f"Справка-{t}: выписка из больницы",
    }
    author, approver = make_staff(Role.ADMIN, username="seizure-author"), make_staff(Role.ADMIN, username="seizure-approver")
    draft = questionnaires.new_draft(author)
    # Follow-ups first: a question others depend on cannot be removed before them.
    for question in sorted(draft.questions.exclude(key="safe_now"), key=lambda q: not q.condition_key):
        questionnaires.delete_question(author, question)
    specs: list[dict[str, Any]] = [
        {"key": "camp", "kind": "short", "wording": {"ru": {"label": "Где вас держали?"}}, "position": 10},
        {
            "key": "taken",
            "kind": "multiple",
            "wording": {"ru": {"label": "Что у вас забрали?"}},
            "choices": [{"value": "phone", "labels": {"ru": "Телефон"}}, {"value": "passport", "labels": {"ru": "Паспорт"}}],
            "position": 20,
        },
        {
            "key": "by_whom",
            "kind": "long",
            "wording": {"ru": {"label": "Кто?"}},
            "condition_key": "safe_now",
            "condition_values": ["no"],
            "position": 30,
        },
        {"key": "when", "kind": "date", "wording": {"ru": {"label": "Когда это было?"}}, "position": 40},
        {
            "key": "now_in",
            "kind": "short",
            "wording": {"ru": {"label": "Где вы сейчас?"}},
            "maps_to": "person.location",
            "position": 50,
        },
        {"key": "reach", "kind": "short", "wording": {"ru": {"label": "Связь"}}, "maps_to": "person.contact", "position": 55},
        {"key": "paper", "kind": "file", "wording": {"ru": {"label": "Справка"}}, "position": 60},
        {
            "key": "story",
            "kind": "long",
            "wording": {"ru": {"label": "Что случилось?"}},
            "maps_to": "case.summary",
            "position": 70,
        },
    ]
    for spec in specs:
        questionnaires.save_question(author, draft, spec)
    questionnaires.submit_for_approval(author, draft)
    questionnaires.approve(approver, draft)

    with captured_logs() as logs:
        instance.keyring().seal()
        assert instance.is_sealed()
        person = Client(REMOTE_ADDR=PERSON_IP)
        page = ok(person.get(HELP), "help form").content.decode()
        assert 'name="q_by_whom"' not in page and 'name="q_camp"' in page
        first = {
            "token": _form_token(page),
            "q_safe_now": "no",
            "q_camp": s["custom short answer"],
            "q_taken": ["phone", "passport"],
            "q_when": s["custom date answer"],
            "q_now_in": s["mapped location"],
            "q_reach": s["mapped contact"],
            "q_story": s["custom long answer"],
        }
        second = ok(person.post(HELP + "?step=1", first), "first step").content.decode()
        assert 'name="q_by_whom"' in second and 'name="q_paper"' in second
        paper = SimpleUploadedFile(f"{s['custom file name']}.txt", str(s["custom file text"]).encode(), content_type="text/plain")
        response = ok(
            person.post(HELP, {**first, "token": _form_token(second), "q_by_whom": s["follow-up answer"], "q_paper": paper}),
            "second step",
        )
        assert passphrase_in(response) is not None, response.content.decode()[:2000]
        assert IntakeMessage.objects.get().attachments.count() == 1
        assert scan_at_rest(s, extra={"captured logs": logs.getvalue().encode()}) == []

        for share in shares[:3]:
            instance.keyring().submit_share(share)
        team = Team.objects.create(name="Hotline custom")
        operator = make_staff(Role.HOTLINE, teams=[team], username="seizure-custom-hotline")
        staff = sign_in(Client(), operator)
        queue = ok(staff.get(reverse("intake:queue")), "queue").content.decode()
        assert str(s["mapped location"]) not in queue  # not a summary question here
        request = IntakeMessage.objects.get().request
        triage_url = reverse("intake:request", args=[request.pk])
        read = ok(staff.get(triage_url), "triage page").content.decode()
        for label in ("custom short answer", "follow-up answer", "custom long answer", "mapped location", "mapped contact"):
            assert str(s[label]) in read, label
        assert f'value="{s["mapped location"]}"' in read  # offered to the case, for the operator to confirm
        ok(
            staff.post(
                triage_url,
                {
                    "action": "open_case",
                    "name": f"Аслан-{t}",
                    "team": str(team.pk),
                    "priority": "emergency",
                    "location": s["mapped location"],
                    "contact": s["mapped contact"],
                    "summary": s["custom long answer"],
                },
            ),
            "open case",
        )
        request.refresh_from_db()
        new_person = request.case.members.get().person if request.case else None
        assert new_person is not None and new_person.location == s["mapped location"]
        assert [c["value"] for c in new_person.contacts] == [s["mapped contact"]]

    assert scan_sources(s, sources_at_rest({"captured logs": logs.getvalue().encode()})) == []


def test_the_passphrase_pool_leaves_nothing_at_rest(settings: Any) -> None:
    """Issue 15: a worker's pool of passphrases derived ahead of time lives in memory only.

    The real filling thread fills the pool, a person is handed a pooled passphrase through the
    form, the thread refills, the pool stops; then every byte at rest (files with connections
    open and closed, pg_dump, the logs of the whole run) is searched for every passphrase that
    was ever in the pool and for its keys. Only the handed-out passphrase's lookup tag and
    public key may be stored (that is the request); its private key never.
    """
    from corridor.intake import conf, pool

    settings.INTAKE_PASSPHRASE_POOL = 5
    pool.reset_for_tests()
    the_pool = pool.pool()
    seen: dict[str, pool.Ready] = {}

    def wait_full() -> None:
        deadline = time.monotonic() + 30
        while len(the_pool) < the_pool.size and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(the_pool) == the_pool.size
        seen.update({entry.passphrase: entry for entry in list(the_pool._ready)})

    with captured_logs() as logs:
        assert not instance.is_sealed()
        the_pool.take(domain.instance_salt(), conf.kdf_params(), conf.passphrase_words())  # as a first request would
        the_pool.start()
        try:
            wait_full()
            first = list(the_pool._ready)[0].passphrase
            person = Client(REMOTE_ADDR=PERSON_IP)
            page = ok(person.get(HELP), "help form").content.decode()
            response = ok(
                person.post(HELP, {"token": _form_token(page), "q_what_happened": f"Пул-{token()}", "q_safe_now": "no"}),
                "submission",
            )
            codename = passphrase_in(response)
            assert codename == first  # the request was given a pooled passphrase
            wait_full()  # refilled: one more passphrase derived after the hand-out
            assert len(seen) == the_pool.size + 1 and codename not in [e.passphrase for e in list(the_pool._ready)]
        finally:
            the_pool.stop()
        assert len(the_pool) == 0
    request = IntakeMessage.objects.get().request
    handed = seen[codename]
    assert (request.lookup, request.recipient) == (handed.keys.lookup.hex(), handed.keys.recipient)

    s: dict[str, Secret] = {}
    for number, (passphrase, entry) in enumerate(seen.items(), start=1):
        label = "handed out" if passphrase == codename else f"pooled {number}"
        s |= {f"{label}: {name}": value for name, value in _codename_secrets(passphrase).items() if "words" not in name}
        s[f"{label}: identity"] = entry.keys.identity
        if passphrase != codename:
            s[f"{label}: lookup tag"] = entry.keys.lookup
            s[f"{label}: recipient"] = entry.keys.recipient
    sources = sources_at_rest({"captured logs": logs.getvalue().encode()})
    assert logs.getvalue().count("django.db.backends DEBUG") > 10, "the SQL of the run was captured"
    assert scan_sources(s, sources) == []
    # The scan would have found the one stored on purpose: the handed-out request's lookup tag.
    assert scan_sources({"stored lookup": handed.keys.lookup}, sources) != []
