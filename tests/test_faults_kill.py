"""kill -9 of the whole `corridor serve` in the middle of 1,000 note writes from four clients.

What is killed: the process group of `corridor serve`, that is gunicorn's master, every worker
AND keyd, at once (a power cut, the OOM killer, `systemctl kill -s KILL`). Killing keyd with
the web server is the harder case: the instance comes back sealed and the trustees unseal it
again before anything can be read. After the restart every write that was acknowledged (a
201 received) is present, decrypts, and has its audit entry; no note is there without its
audit entry (each write is one transaction), and `corridor audit verify` passes. Runs on
the suite's engine: SQLite by default, PostgreSQL when DATABASE_URL names it.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Iterator

import pytest

from tests.faults import Instance, http, make_instance, set_up_writer
from tests.serving import corridor

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("faults")]

WRITES = 1000
CLIENTS = 4
KILL_AFTER = 250  # acknowledged writes before the kill: well inside the 1,000

READ_BACK = """
import json
from corridor.audit.models import AuditEntry
from corridor.accounts import domain
from corridor.accounts.models import User
from corridor.cases.models import Case
token = domain.create_api_token(None, User.objects.get(username="writer"), "after the restart")
case = Case.objects.get(pk="{case}")
bodies = [note.body for note in case.notes.all()]
entries = AuditEntry.objects.filter(action="note.add", object_id=str(case.pk)).count()
print(json.dumps({{"bodies": bodies, "entries": entries, "token": token}}))
"""


@pytest.fixture(scope="module")
def instance() -> Iterator[Instance]:
    made = make_instance("faults-kill")
    try:
        yield made
    finally:
        made.destroy()


def test_kill_9_mid_write_loses_no_acknowledged_note(instance: Instance) -> None:
    instance.start(workers=2, threads=4)
    instance.unseal()
    writer = set_up_writer(instance)
    url = f"{instance.base}/api/v1/cases/{writer['case']}/notes/"
    run = secrets.token_hex(4)
    acknowledged: list[str] = []
    refused: list[int] = []  # answers other than 201 before the kill: there must be none
    lock = threading.Lock()
    killed = threading.Event()

    def client(number: int) -> None:
        for index in range(WRITES // CLIENTS):
            body = f"fault {run} client {number} note {index}"
            try:
                status, _headers, _text = http(url, data={"body": body}, token=writer["token"], timeout=30)
            except OSError:
                continue  # the connection was refused or cut: not acknowledged
            with lock:
                if status == 201:
                    acknowledged.append(body)
                elif not killed.is_set():
                    refused.append(status)

    threads = [threading.Thread(target=client, args=(number,)) for number in range(CLIENTS)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 120
    while len(acknowledged) < KILL_AFTER:
        assert time.monotonic() < deadline and any(thread.is_alive() for thread in threads), (len(acknowledged), refused)
        time.sleep(0.01)
    killed.set()
    instance.kill()
    for thread in threads:
        thread.join(timeout=120)
    assert refused == []
    # The kill landed in the middle: some writes were acknowledged, many never were.
    assert KILL_AFTER <= len(acknowledged) < WRITES

    instance.start(workers=2, threads=4)
    assert instance.keyd_status() == "sealed"
    instance.unseal()
    state = json.loads(instance.shell(READ_BACK.format(case=writer["case"])).strip().splitlines()[-1])
    present = [body for body in state["bodies"] if body.startswith(f"fault {run} ")]
    assert set(acknowledged) - set(present) == set()
    assert len(present) == len(set(present)) == len(state["bodies"])
    # A write in flight at the kill may have committed without its 201 arriving; never a
    # note without its audit entry, nor an entry without its note.
    assert state["entries"] == len(present)
    verify = corridor(instance.env, "audit", "verify", timeout=300)
    assert verify.returncode == 0, verify.stdout + verify.stderr

    # And it goes on working: a new write after the restart is acknowledged and read back.
    token = state["token"]
    status, _headers, text = http(url, data={"body": f"after {run}"}, token=token)
    assert status == 201, text
    status, _headers, text = http(url, token=token)
    assert status == 200, text
    assert f"after {run}" in [note["body"] for note in json.loads(text)]
