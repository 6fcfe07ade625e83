"""Test-only models using the encrypted fields; never installed in production settings."""

from __future__ import annotations

import uuid

from django.db import models

from corridor.keys.fields import EncryptedBinaryField, EncryptedDateField, EncryptedJSONField, EncryptedTextField
from corridor.keys.models import DataKey


class Person(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    codename = models.CharField(max_length=40, blank=True)
    data_key = models.ForeignKey(DataKey, on_delete=models.PROTECT, null=True, related_name="+")
    name = EncryptedTextField()
    other_name = EncryptedTextField()
    details = EncryptedJSONField()
    born = EncryptedDateField()
    photo = EncryptedBinaryField()


class Note(models.Model):
    """A child record that shares its person's key through a dotted key path."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="notes")
    body = EncryptedTextField(key_field="person.data_key")
