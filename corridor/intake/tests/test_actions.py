"""The intake's actions: what each writes to the audit log, the rules they keep under the lock,
and the names that keep the person's secret apart from a case's codename."""

from __future__ import annotations

import ast
import datetime
import io
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.http import Http404
from django.test import Client
from django.utils import timezone, translation

from corridor.accounts.models import Role
from corridor.accounts.testing import make_staff, make_world, sign_in
from corridor.audit.actions import act
from corridor.audit.models import AuditEntry
from corridor.cases.models import Case, Document
from corridor.intake import access, domain
from corridor.intake.models import IntakeRequest, RequestState
from corridor.intake.tests.helpers import SEND, submit

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_limits() -> None:
    cache.clear()


def _actions() -> list[str]:
    return list(AuditEntry.objects.order_by("seq").values_list("action", flat=True))


def _request(**overrides: object) -> tuple[IntakeRequest, str]:
    response, passphrase = submit(**overrides)
    assert response.status_code == 200 and passphrase is not None, response.content.decode()[:500]
    return IntakeRequest.objects.get(lookup=domain.derive(passphrase).lookup.hex()), passphrase


def test_the_person_asks_and_writes_again_without_a_single_audit_entry() -> None:
    """An entry's time would tell when someone wrote: the anonymous door records nothing."""
    before = _actions()
    request, passphrase = _request()
    assert Client(REMOTE_ADDR="198.51.100.9").post(SEND, {"codename": passphrase, "text": "Я в безопасности."}).status_code == 200
    assert _actions() == before
    assert request.messages.count() == 2


def test_only_the_system_may_change_state_unaudited() -> None:
    hotline = make_staff(Role.HOTLINE)
    with pytest.raises(ValueError, match="only the system"):
        with act(hotline, "intake.triage") as action:
            action.unaudited("a reason")
    with pytest.raises(ValueError, match="only the system"):
        with act(None, None) as action:
            action.unaudited("")


def test_spam_and_restore_each_record_their_own_name_and_twice_changes_nothing() -> None:
    hotline = make_staff(Role.HOTLINE)
    request, _passphrase = _request()
    domain.mark_spam(hotline, request)
    domain.mark_spam(hotline, request)  # already spam: nothing to do, nothing recorded
    domain.mark_spam(hotline, request, spam=False)
    domain.mark_spam(hotline, request, spam=False)
    assert [a for a in _actions() if a.startswith("intake.")] == ["intake.spam", "intake.unspam"]
    request.refresh_from_db()
    assert request.state == RequestState.OPEN


def test_a_reply_to_spam_is_refused_by_the_action_and_writes_nothing() -> None:
    hotline = make_staff(Role.HOTLINE)
    request, _passphrase = _request()
    domain.mark_spam(hotline, request)
    stale = IntakeRequest.objects.get(pk=request.pk)
    stale.state = RequestState.OPEN  # the page was read before the spam mark
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        domain.reply(hotline, stale, "Здравствуйте")
    assert refused.value.message_dict == {"text": ["This request is marked as spam. Restore it before replying."]}
    assert request.messages.filter(direction="out").count() == 0


def test_a_file_moved_to_a_case_becomes_a_document_through_the_documents_action() -> None:
    world = make_world()
    hotline = world.users[Role.HOTLINE]
    upload = io.BytesIO("Письмо от соседа".encode())
    upload.name = "письмо.txt"
    request, _passphrase = _request(file=upload)
    case = domain.open_case(hotline, request, name="Ислам", team=world.team_a)
    document = Document.objects.get(case=case)
    assert [(step["by"], step["action"]) for step in document.custody] == [(hotline.pk, "uploaded")]
    assert (document.uploaded_by_id, document.kind, document.filename) == (hotline.pk, "other", "письмо.txt")
    uploads = AuditEntry.objects.filter(action="document.upload").values_list("actor_id", "object_id")
    assert list(uploads) == [(hotline.pk, str(document.pk))]
    assert _actions()[-1] == "intake.open_case"


def test_moving_new_messages_twice_records_one_move() -> None:
    world = make_world()
    hotline = world.users[Role.HOTLINE]
    request, passphrase = _request()
    domain.open_case(hotline, request, name="Ислам", team=world.team_a)
    Client(REMOTE_ADDR="198.51.100.9").post(SEND, {"codename": passphrase, "text": "Я уже в поезде."})
    domain.move_new_messages(hotline, request)
    domain.move_new_messages(hotline, request)  # nothing new: nothing recorded
    assert _actions().count("intake.move") == 1
    assert Case.objects.count() == 1


def test_purge_records_one_entry_when_it_deletes_and_none_when_it_finds_nothing() -> None:
    hotline = make_staff(Role.HOTLINE)
    request, _passphrase = _request()
    domain.mark_spam(hotline, request)
    call_command("intake_purge", stdout=io.StringIO())
    assert "intake.purge" not in _actions()
    IntakeRequest.objects.filter(pk=request.pk).update(activity_hour=timezone.now() - datetime.timedelta(days=8))
    out = io.StringIO()
    call_command("intake_purge", stdout=out)
    assert out.getvalue().startswith("deleted 1 spam request(s)")
    purges = AuditEntry.objects.filter(action="intake.purge").values_list("actor_id", "object_type")
    assert list(purges) == [(None, "")]
    assert not IntakeRequest.objects.exists()


def test_a_refused_request_is_audited_and_a_missing_one_is_not() -> None:
    caseworker = make_staff(Role.CASEWORKER)
    request, _passphrase = _request()
    with pytest.raises(Http404):
        access.get_request_for_user(caseworker, request.pk)
    with pytest.raises(Http404):
        access.get_request_for_user(caseworker, "00000000-0000-4000-8000-000000000000")
    denials = AuditEntry.objects.filter(action="access.deny").values_list("actor_id", "object_id")
    assert list(denials) == [(caseworker.pk, str(request.pk))]


def test_a_non_hotline_user_gets_404_for_the_queue_and_a_request() -> None:
    caseworker = make_staff(Role.CASEWORKER)
    request, _passphrase = _request()
    client = sign_in(Client(), caseworker)
    assert (client.get("/triage/").status_code, client.get(f"/triage/{request.pk}/").status_code) == (404, 404)


# -- names ---------------------------------------------------------------------------------------

INTAKE = Path(__file__).resolve().parents[1]
# The one place the word stays in code: the form field that carries the passphrase on the wire,
# named as the pages name it (HTML forms and scripts post `codename`).
WIRE_NAMES = {("forms.py", "codename"), ("forms.py", "clean_codename")}


def _identifiers(tree: ast.AST) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            found.add(node.id)
        elif isinstance(node, ast.Attribute):
            found.add(node.attr)
        elif isinstance(node, ast.FunctionDef | ast.ClassDef):
            found.add(node.name)
        elif isinstance(node, ast.arg):
            found.add(node.arg)
        elif isinstance(node, ast.alias):
            found.add(node.asname or node.name)
    return found


def test_the_persons_secret_is_never_called_a_codename_in_code() -> None:
    """A case's codename is a label staff say aloud; the person's is a secret: a passphrase."""
    offenders = []
    for path in sorted(INTAKE.rglob("*.py")):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        for identifier in _identifiers(ast.parse(path.read_text(encoding="utf-8"))):
            if "codename" in identifier.lower() and (path.name, identifier) not in WIRE_NAMES:
                offenders.append(f"{path.relative_to(INTAKE)}: {identifier}")
    assert offenders == []
    assert not (INTAKE / "codenames.py").exists()
