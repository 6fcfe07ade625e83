"""Review R2: attacks on today's data-movement, intake and statistics code, each failing
before its fix."""

from __future__ import annotations

import time

import pytest
from django.core.cache import cache
from django.test import Client

from corridor.accounts.models import Role
from corridor.accounts.testing import make_staff
from corridor.intake import formtoken, questionnaire
from corridor.intake.domain import questionnaires
from corridor.intake.models import IntakeRequest
from corridor.intake.tests.helpers import HELP, SECRET_STORY, passphrase_in

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_limits() -> None:
    cache.clear()


def test_a_stranger_cannot_answer_the_shipped_defaults_while_a_version_is_live() -> None:
    # The live version asks a new required question and no longer treats "held now" as an
    # emergency; a forged marker "0" (the shipped defaults) must not dodge either.
    author, approver = make_staff(Role.ADMIN), make_staff(Role.ADMIN)
    draft = questionnaires.new_draft(author)
    questionnaires.save_question(
        author,
        draft,
        {
            "key": "passport_city",
            "kind": "short",
            "position": 5,
            "required": True,
            "wording": {"en": {"label": "Which city issued your passport?"}, "ru": {"label": "Где выдан паспорт?"}},
        },
    )
    questionnaires.submit_for_approval(author, draft)
    questionnaires.approve(approver, draft)
    live = questionnaire.live()
    assert live is not None and live.pk == draft.pk
    with pytest.raises(questionnaire.UnknownVersion):
        questionnaire.shown_version(questionnaire.DEFAULTS_MARKER, live)
    assert questionnaire.shown_version(questionnaire.DEFAULTS_MARKER, None) is None
    posted = {
        "token": formtoken.issue(now=time.time() - 30),
        "questionnaire": "0",
        "q_what_happened": SECRET_STORY,
        "q_safe_now": "yes",
        "q_held_now": "yes",
        "q_held_by": "police",
    }
    response = Client().post(HELP + "?lang=en", posted)
    assert (response.status_code, passphrase_in(response)) == (409, None)
    assert 'name="q_passport_city"' in response.content.decode()
    assert IntakeRequest.objects.count() == 0


def test_an_abandoned_staged_bundle_is_shredded_after_the_hour_even_if_nobody_previews_again() -> None:
    import datetime

    from django.utils import timezone

    from corridor.keys.api import DataKey
    from corridor.notifications import jobs
    from corridor.transfer.domain import staging
    from corridor.transfer.models import StagedBundle

    worker = make_staff(Role.CASEWORKER)
    staged = staging.stage_bundle(worker, b"age-encrypted bundle bytes " * 10)
    fresh = staging.stage_bundle(worker, b"another bundle, previewed a minute ago")
    StagedBundle.objects.filter(pk=staged.pk).update(created=timezone.now() - datetime.timedelta(hours=2))
    # Nobody stages another bundle: the scheduler's job alone must shred it.
    job = {job.name: job for job in jobs.registered()}["transfer.staged_bundles"]
    job.fn()
    assert list(StagedBundle.objects.values_list("pk", flat=True)) == [fresh.pk]
    assert DataKey.objects.get(pk=staged.data_key_id).shredded is not None
    assert DataKey.objects.get(pk=fresh.data_key_id).shredded is None


def test_a_published_snapshot_never_tells_a_small_total_nor_how_many_refused_consent() -> None:
    # A filter (or a quiet month) narrows a report to 3 people who consented and 2 who did not;
    # every cell is withheld (threshold 5), so the snapshot's totals must not say 3 and 2 either.
    import datetime

    from django.utils import timezone

    from corridor.accounts.models import Team
    from corridor.statistics import presentation
    from corridor.statistics.api import _snapshot_data
    from corridor.statistics.domain import reports
    from corridor.statistics.tests.test_reports import open_cases

    team = Team.objects.create(name="R2 stats")
    author = make_staff(Role.CASEWORKER, teams=[team], username="r2-stats-author")
    reviewer = make_staff(Role.DOCUMENTATION, teams=[team], username="r2-stats-reviewer")
    open_cases(author, team, 3, consent=True)
    open_cases(author, team, 2, consent=False)
    report = reports.draft_report(author, title="People by status", measure="people", dimensions=["status"], lag_days=0)
    reports.approve_report(reviewer, report)
    snapshot = reports.publish_report(reviewer, report, timezone.localdate() + datetime.timedelta(days=400))
    assert all(value is None for value in reports.release_of(snapshot).cells.values())
    data = _snapshot_data(snapshot)
    assert (data["counted"], data["left_out"]) == (None, None)
    note = " ".join(presentation.snapshot_note(snapshot))
    assert "2 records were left out" not in note and "fewer than 5" in note


def test_the_worker_unit_reaches_keyd_like_the_web_unit() -> None:
    # The worker runs the scheduler's jobs, background imports among them, which decrypt their
    # queued rows through keyd: without the socket's path it asked the default under the data
    # directory, where no keyd listens in the deployed layout.
    from tests.deployment import DEPLOY, read_unit

    worker = read_unit(DEPLOY / "systemd" / "corridor-worker.service")
    web = read_unit(DEPLOY / "systemd" / "corridor-web.service")
    assert "CORRIDOR_KEYRING=/run/corridor-keyd/keyd.sock" in worker.get("Environment", [])
    assert worker["Environment"] == web["Environment"]


def test_doctor_never_says_core_dumps_are_off_for_processes_it_did_not_see() -> None:
    from corridor.web import doctor
    from corridor.web.doctor import Level, Process

    nothing_seen = doctor.check_core_dumps([Process(1, 0, "/sbin/init", "unlimited")], "core")
    assert [f.level for f in nothing_seen] == [Level.WARN] and "not checked" in nothing_seen[0].message
    only_keyd = doctor.check_core_dumps([Process(2, 998, "python -m corridor.keys.keyd", "0")], "core")
    assert [f.level for f in only_keyd] == [Level.WARN] and "the web server" in only_keyd[0].message
    both = [Process(2, 998, "python -m corridor.keys.keyd", "0"), Process(3, 999, "gunicorn corridor.wsgi:application", "0")]
    assert [f.level for f in doctor.check_core_dumps(both, "core")] == [Level.OK]


def test_a_token_is_not_stepped_up_by_someone_elses_fresh_session() -> None:
    # A stolen approver's token plus the thief's own signed-in, stepped-up session (any staff
    # account) must not approve as the token's owner: the step-up is the token user's own.
    from corridor.accounts.models import ApiToken, Team
    from corridor.accounts.testing import sign_in
    from corridor.statistics.domain import reports
    from corridor.statistics.models import Report, ReportState

    team = Team.objects.create(name="R2 step-up")
    author = make_staff(Role.CASEWORKER, teams=[team], username="r2-su-author")
    approver = make_staff(Role.RELOCATION, teams=[team], username="r2-su-approver")
    thief = make_staff(Role.HOTLINE, username="r2-su-thief")
    draft = reports.draft_report(author, title="Draft", measure="people", dimensions=["status"], lag_days=0)
    _record, value = ApiToken.issue(approver)
    client = sign_in(Client(), thief)
    url = f"/api/v1/statistics/reports/{draft.pk}/approve/"
    refused = client.post(url, content_type="application/json", headers={"authorization": f"Bearer {value}"})
    assert refused.status_code == 403, (refused.status_code, refused.content[:300])
    assert refused.json()["error"]["code"] == "step_up_required"
    assert Report.objects.get(pk=draft.pk).state == ReportState.DRAFT
    # The approver's own fresh session still approves.
    mine = sign_in(Client(), approver)
    assert mine.post(url, content_type="application/json").status_code == 200
