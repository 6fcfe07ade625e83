"""Every audit name an app declares has a label in words, in English and in Russian."""

from __future__ import annotations

import pytest
from django.utils import translation

from corridor.audit.names import AuditAction, LogAudit, label, label_names, registered, unlabelled
from corridor.audit.tests import names_for_tests


def _declared_by_apps() -> dict[str, AuditAction]:
    # The audit tests' own names (test.tick, test.n0 ...) are not shown to anyone.
    return {value: member for value, member in registered().items() if type(member).__module__ != names_for_tests.__name__}


def test_every_name_declared_by_an_app_has_a_label() -> None:
    assert len(_declared_by_apps()) > 140  # every app's, not an empty set
    assert unlabelled(_declared_by_apps()) == []


def test_every_label_is_translated_to_russian() -> None:
    untranslated = []
    for value in _declared_by_apps():
        with translation.override("en"):
            english = label(value)
        with translation.override("ru"):
            russian = label(value)
        if russian == english or russian == value:
            untranslated.append(value)
    assert untranslated == []


def test_labels_in_both_languages() -> None:
    with translation.override("en"):
        assert (label("read"), label("read.api"), label("case.status.closed")) == (
            "Viewed on a page",
            "Read through the API",
            "Case status: closed",
        )
    with translation.override("ru"):
        assert (label("read"), label("case.status.closed")) == ("Просмотрено на странице", "Статус дела: закрыто")


def test_a_name_without_label_reads_as_itself_and_labels_belong_to_their_enumeration() -> None:
    assert label("no.such.name") == "no.such.name"
    with pytest.raises(ValueError, match="not a member"):
        label_names(names_for_tests.TestAudit, {LogAudit.READ: "x"})  # type: ignore[dict-item]  # a plain str on purpose
