"""Audit names only the audit tests write: declared like any app's, so the log accepts them."""

from corridor.audit.names import AuditAction

_STEPS = {f"STEP{n}": f"test.step{n}" for n in range(200)} | {f"N{n}": f"test.n{n}" for n in range(200)}

TestAudit = AuditAction("TestAudit", {"TICK": "test.tick", "ARRIVAL": "test.arrival", **_STEPS})  # type: ignore[misc]  # functional API: 400 names
TestAudit.__test__ = False  # type: ignore[attr-defined]  # not a pytest test class
