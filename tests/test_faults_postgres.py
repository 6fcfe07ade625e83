"""PostgreSQL goes away under load: requests fail cleanly with 503 and recover, nothing half-written.

How the outage is made: not by restarting the cluster (`pg_ctlcluster 15 main restart`), which
would also cut every other test running at the same time against the same cluster (the suite
runs in parallel, and so do other checks on a shared CI machine), but by doing to this
instance's own database what a restart does to it: every server connection is terminated
(pg_terminate_backend) and new ones are refused for a few seconds (ALLOW_CONNECTIONS false),
then allowed again. Four clients meanwhile create people with their cases through the API,
each one a multi-row action (person, case, membership, index rows, audit entries).
PostgreSQL only; on SQLite there is no server to lose (tests/test_faults_database.py cuts
the connection in process on both).
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Iterator

import pytest

from tests.faults import Instance, http, make_instance, pg_execute, postgres_url, set_up_writer
from tests.serving import corridor

pytestmark = [
    pytest.mark.integration,
    pytest.mark.xdist_group("faults"),
    pytest.mark.skipif(postgres_url() is None, reason="PostgreSQL only: set DATABASE_URL to a PostgreSQL database"),
]

CLIENTS = 4
OUTAGE_SECONDS = 3.0

CONSISTENCY = """
import json
from django.db.models import Count, Q
from corridor.audit.models import AuditEntry
from corridor.cases.models import Case, CaseMember, Person
people = Person.objects.count()
cases = Case.objects.count()
print(json.dumps({
    "people": people,
    "cases": cases,
    "people_without_a_case": Person.objects.annotate(n=Count("memberships")).filter(n=0).count(),
    "cases_without_one_principal": Case.objects.annotate(
        n=Count("members", filter=Q(members__role="principal"))).exclude(n=1).count(),
    "person_entries": AuditEntry.objects.filter(action="person.create").count(),
    "case_entries": AuditEntry.objects.filter(action="case.open").count(),
}))
"""


@pytest.fixture(scope="module")
def instance() -> Iterator[Instance]:
    made = make_instance("faults-pg")
    try:
        yield made
    finally:
        if made.database and made.admin_url:
            pg_execute(made.admin_url, f'ALTER DATABASE "{made.database}" ALLOW_CONNECTIONS true')
        made.destroy()


def test_a_lost_database_is_503_then_recovers_with_nothing_half_written(instance: Instance) -> None:
    assert instance.database and instance.admin_url
    instance.start(workers=2, threads=4)
    instance.unseal()
    writer = set_up_writer(instance)
    url = f"{instance.base}/api/v1/people/"
    run = secrets.token_hex(3)
    results: list[tuple[float, int, str, str]] = []  # (time, status, Retry-After, error code)
    lock = threading.Lock()
    stop = threading.Event()

    def client(number: int) -> None:
        index = 0
        while not stop.is_set():
            index += 1
            body = {"names": [{"name": f"Fault {run} {number} {index}"}], "confirm_not_duplicate": True, "team": writer["team"]}
            try:
                status, headers, text = http(url, data=body, token=writer["token"], timeout=30)
            except OSError as exc:
                status, headers, text = 0, {}, json.dumps({"error": {"code": type(exc).__name__}})
            code = json.loads(text)["error"]["code"] if status != 201 else ""
            with lock:
                results.append((time.monotonic(), status, headers.get("Retry-After", ""), code))

    threads = [threading.Thread(target=client, args=(number,)) for number in range(CLIENTS)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(2.0)
        cut = time.monotonic()
        pg_execute(
            instance.admin_url,
            f'ALTER DATABASE "{instance.database}" ALLOW_CONNECTIONS false',
            # noqa below: the name is this test's own database's, made from the suite's URL and the worker id
            f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{instance.database}' AND pid <> pg_backend_pid()",  # noqa: S608
        )
        time.sleep(OUTAGE_SECONDS)
        pg_execute(instance.admin_url, f'ALTER DATABASE "{instance.database}" ALLOW_CONNECTIONS true')
        back = time.monotonic()
        time.sleep(3.0)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)

    statuses = {status for _at, status, _retry, _code in results}
    assert statuses <= {201, 503}, sorted(statuses)
    failed = [(retry, code) for _at, status, retry, code in results if status == 503]
    assert failed, "no request fell into the outage"
    assert set(failed) == {("30", "unavailable")}
    # Before the cut everything was written; the last second after it is back, too.
    assert {status for at, status, _r, _c in results if at < cut - 0.5} == {201}
    assert {status for at, status, _r, _c in results if at > back + 2.0} == {201}

    state = json.loads(instance.shell(CONSISTENCY).strip().splitlines()[-1])
    created = sum(1 for _at, status, _r, _c in results if status == 201)
    # +1: the writer's own case from set_up_writer.
    assert state["people"] >= created + 1
    assert state["people_without_a_case"] == 0
    assert state["cases_without_one_principal"] == 0
    assert (state["person_entries"], state["case_entries"]) == (state["people"], state["cases"])
    verify = corridor(instance.env, "audit", "verify", timeout=300)
    assert verify.returncode == 0, verify.stdout + verify.stderr
