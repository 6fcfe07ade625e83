"""Every write outside the domain actions is listed here with the reason it may stay (issue 10).

The scan reads the source of corridor/ (not domain/ packages, migrations or tests) for calls named
like the ORM's writes: .save( .update( .delete( .create( .get_or_create( .update_or_create(
.bulk_create( .bulk_update(. It cannot tell a queryset from a dict, so what is not a model write
at all is listed too, saying what it is. A new call site fails until it moves into an action or
gets a line below; a line whose calls are gone fails too, so the list stays true.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WRITES = {"save", "update", "delete", "create", "get_or_create", "update_or_create", "bulk_create", "bulk_update"}
SKIPPED_DIRS = {"domain", "migrations", "tests"}

# "path:function" (Class.method for methods, outer.inner for nested functions) -> why it stays.
ALLOWED = {
    # -- not model writes -----------------------------------------------------------------------
    "corridor/accounts/testing.py:sign_in": "not a model: the test client's session store",
    "corridor/audit/management/commands/audit.py:Command._verify.progress": "not a model: rich's progress bar",
    "corridor/cases/files.py:_clean_image": "not a model: Pillow writes the cleaned image to memory",
    "corridor/intake/look.py:clean_logo": "not a model: Pillow writes the re-encoded logo to memory",
    "corridor/cases/files.py:_clean_pdf": "not a model: pikepdf writes the cleaned PDF to memory",
    "corridor/cases/views/cases.py:_detail": "not a model: a template context dict",
    "corridor/keys/service.py:share_commitment": "not a model: a hash's update",
    "corridor/keys/crypto.py:blind_indexes": "not a model: an HMAC's update, one copy per value",
    "corridor/transfer/backup.py:_Counting.read": "not a model: a hash's update as a member is archived",
    "corridor/transfer/backup.py:_Hashing.write": "not a model: a hash's update as the archive is written",
    "corridor/transfer/backup.py:_unpack": "not a model: a hash's update as a member is read",
    "corridor/transfer/management/commands/backup.py:Command._take": "not a model: rich's progress bar",
    "corridor/keys/models.py:DataKey.unwrap_by_id": "not a model: a dict of the unwrapped keys, returned to the caller",
    "corridor/keys/service.py:initialize": "not a model: keyd's keystore file (atomic write), which only keyd holds",
    "corridor/keys/service.py:KeyService._learn_commitments": "not a model: keyd's keystore file",
    "corridor/keys/service.py:KeyService.rotate.run": "not a model: keyd's keystore file (the new epoch)",
    "corridor/keys/service.py:KeyService.retire_epoch.run": "not a model: keyd's keystore file",
    "corridor/keys/service.py:KeyService.destroy_epoch.run": "not a model: keyd's keystore file",
    # -- the floor: the audit log and the keys, which know no users and have no domain -------------
    "corridor/audit/actions.py:stamp_once": "a domain action's one-way mark (reviewed, revoked), inside that action",
    "corridor/audit/log.py:record": "the audit log's own append (entry and tree state) inside the caller's action",
    "corridor/audit/log.py:checkpoint": "the audit log's tree state as a checkpoint is signed",
    "corridor/audit/log.py:_period_data_key": "the key for the audit details of one period, made on first use",
    "corridor/audit/log.py:_lock_state": "the log's single tree-state row, created once so it can be locked",
    "corridor/audit/log.py:_store_signed": "the signed checkpoint, stored after commit (keyd signs only committed heads)",
    "corridor/audit/schedule.py:verify_if_due": "the scheduler's record of its daily verification (no person's data; "
    "a failure alerts through the alarm)",
    "corridor/audit/schedule.py:_record_error": "the same record, marked failed when verify() raised (it alerts too)",
    "corridor/audit/schedule.py:_refuse_claims_ahead": "the same records, removed when dated days ahead: only a hand "
    "writes those, and they would stop the daily run (it alerts)",
    "corridor/keys/blind.py:index_values": "blind-index entries follow the encrypted field they index, in the caller's action",
    "corridor/keys/blind.py:remove_entries": "blind-index entries go with the record they index, in the caller's action",
    "corridor/keys/epochs.py:rewrap_all": "re-wrapping data keys under the new epoch; the rotate action reports it (keys.events)",
    "corridor/keys/fields.py:_ensure_data_key": "a record's own data key, made as the record is first saved by its action",
    "corridor/keys/files.py:store_encrypted": "the encrypted file's row, written with the file by the upload action",
    "corridor/keys/models.py:DataKey.create_many": "data keys for a batch of records, made by the action that writes them",
    "corridor/keys/models.py:DataKey.shred": "destroying a data key, called by the erase action that audits it",
    "corridor/keys/nodes.py:record_unseal": "a node's unseal, as the other web nodes compare it (no personal data); the unseal is audited",
    "corridor/keys/nodes.py:lockdown": "the lockdown the other web nodes look for, after the audited seal",
    "corridor/accounts/session_store.py:_HashedSessionManager.save": "Django's session-manager save, kept only so that "
    "it stores a digest if anything calls it (nothing does)",
    "corridor/accounts/session_store.py:SessionStore.save": "Django's session save (the idle expiry, or a changed "
    "session), skipped while it would only move an unchanged session's expiry by less than a step",
    "corridor/accounts/session_store.py:SessionStore.delete": "a session row goes at sign-out or a key change, as in "
    "Django's own store (sign-in and sign-out are audited by the accounts actions)",
    # -- model methods that actions call inside their transaction ----------------------------------
    "corridor/accounts/models.py:User.end_all_sessions": "a counter bump called by the accounts actions that audit it",
    "corridor/accounts/models.py:EnrolmentLink.issue": "called by create_user / reissue_enrolment, which audit it",
    "corridor/accounts/models.py:TOTPDevice.set_secret": "the authenticator's own data key, made as its action saves it",
    "corridor/accounts/models.py:TOTPDevice.verify_token": "django-otp's verification claims the time step (replay guard)",
    "corridor/accounts/models.py:RecoveryCodeDevice.regenerate": "called by the recovery-code action, which audits it",
    "corridor/accounts/models.py:RecoveryCodeDevice.verify_token": "django-otp's verification uses up a code (replay guard)",
    "corridor/accounts/models.py:ApiToken.issue": "called by the token action, which audits it",
    "corridor/statistics/models.py:Snapshot.save": "refuses to change a published snapshot; its one save is publish_report's create",
    # -- bookkeeping that is nobody's act ---------------------------------------------------------
    "corridor/accounts/api_auth.py:TokenAuthentication.authenticate": "the token's last-used time, at every API request",
    "corridor/accounts/lockout.py:record_failure": "failed sign-in counter (lockout), written for strangers too",
    "corridor/accounts/lockout.py:record_success": "the failed sign-in counter is forgotten after a sign-in",
    "corridor/intake/ratelimit.py:_count": "expired rate counters are forgotten as a new window starts",
    # The outbox (issue 14): queueing runs inside the notifying action's transaction; the worker's
    # claims, sent marks and retries are the machine's own progress, written sealed, by nobody.
    "corridor/notifications/delivery.py:queue": "the outbox row of a notification, inside the action that notifies",
    "corridor/notifications/delivery.py:queue_daily_summaries": "the worker queues the daily summary (idempotent by date)",
    "corridor/notifications/delivery.py:claim": "the worker claims due outbox rows (state, lease, batch)",
    "corridor/notifications/delivery.py:_send": "the worker marks a batch sent after the SMTP server took it",
    "corridor/notifications/delivery.py:_renew": "the worker renews its lease on a batch just before sending it",
    "corridor/notifications/delivery.py:_retry": "the worker puts a batch back with backoff after a failed send",
    "corridor/notifications/delivery.py:_give_up": "the worker marks a batch failed (no address, refused)",
    "corridor/notifications/delivery.py:purge_finished": "the worker forgets sent and failed outbox rows after a week",
    # -- tests' own helpers ------------------------------------------------------------------------
    "corridor/accounts/testing.py:make_staff": "tests' enrolled staff: a password and a confirmed factor without typing codes",
    # -- the demo ----------------------------------------------------------------------------------
    "corridor/cases/demo.py:_bulk_batch": "benchmark-sized demo data in bulk, inside the system's action with one entry a batch",
    "corridor/intake/demo.py:populate": "the demo's synthetic requests get an earlier arrival hour than the one the intake stamps",
}


def _skipped(path: Path) -> bool:
    return bool(SKIPPED_DIRS & set(path.relative_to(ROOT).parts[:-1]))


def scan(source: str) -> dict[str, list[int]]:
    """Function (qualified name) -> the lines of its write-like calls."""
    found: dict[str, list[int]] = {}
    scope: list[str] = []

    class Visitor(ast.NodeVisitor):
        def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> None:
            scope.append(node.name)
            self.generic_visit(node)
            scope.pop()

        visit_AsyncFunctionDef = visit_FunctionDef
        visit_ClassDef = visit_FunctionDef

        def visit_Call(self, node: ast.Call) -> None:
            if isinstance(node.func, ast.Attribute) and node.func.attr in WRITES:
                found.setdefault(".".join(scope) or "<module>", []).append(node.lineno)
            self.generic_visit(node)

    Visitor().visit(ast.parse(source))
    return found


def write_sites() -> dict[str, list[int]]:
    sites: dict[str, list[int]] = {}
    for path in sorted((ROOT / "corridor").rglob("*.py")):
        if _skipped(path):
            continue
        for function, lines in scan(path.read_text(encoding="utf-8")).items():
            sites[f"{path.relative_to(ROOT)}:{function}"] = lines
    return sites


def test_every_write_outside_the_domain_is_justified() -> None:
    sites = write_sites()
    unlisted = {site: lines for site, lines in sites.items() if site not in ALLOWED}
    assert unlisted == {}, "move these writes into a domain action, or say here why they stay"


def test_every_justification_still_has_its_write() -> None:
    assert sorted(set(ALLOWED) - set(write_sites())) == []


def test_the_scan_finds_writes_in_functions_and_methods_and_skips_the_domain() -> None:
    source = (
        "def view(request):\n"
        "    Case.objects.filter(pk=1).update(status='closed')\n"
        "class Command:\n"
        "    def handle(self):\n"
        "        def run():\n"
        "            Team.objects.create(name='x')\n"
        "        row.save(update_fields=['a'])\n"
        "        Note.objects.bulk_create([])\n"
        "        qs.get(pk=1)\n"
    )
    assert scan(source) == {"view": [2], "Command.handle.run": [6], "Command.handle": [7, 8]}
    assert _skipped(ROOT / "corridor/cases/domain/cases.py")
    assert _skipped(ROOT / "corridor/cases/migrations/0001_initial.py")
    assert _skipped(ROOT / "corridor/cases/tests/test_api.py")
    assert not _skipped(ROOT / "corridor/cases/views/cases.py")
    assert not _skipped(ROOT / "corridor/cases/domain.py")
