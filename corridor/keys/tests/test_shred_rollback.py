"""A shred that is rolled back must leave the files it would have deleted (second review, issue 10).

DataKey.shred deletes the ciphertext files inside its transaction, before the commit. When the
enclosing action fails after the shred (erase_person saves the person and records its entry
after it), the key, the EncryptedFile rows and both audit entries roll back, but the files are
already gone: documents lost with no entry saying so. They are deleted on commit now.
"""

from __future__ import annotations

import io

import pytest
from django.db import transaction

from corridor.audit.models import AuditEntry
from corridor.keys import files
from corridor.keys.models import DataKey, EncryptedFile
from corridor.keys.tests.testapp.models import Person

pytestmark = pytest.mark.django_db


def test_a_rolled_back_shred_keeps_the_files(shares: list[str]) -> None:
    person = Person.objects.create(name="Магомед")
    stored = files.store_encrypted(io.BytesIO(b"photo"), person.data_key, "photo")
    with pytest.raises(RuntimeError), transaction.atomic():
        person.data_key.shred(actor=None)
        raise RuntimeError("the erasure failed after the shred")

    assert DataKey.objects.get(pk=person.data_key_id).shredded is None
    assert EncryptedFile.objects.filter(pk=stored.id).count() == 1
    assert AuditEntry.objects.filter(action="datakey.shred").count() == 0
    assert stored.path.exists()
