"""Encrypted model fields: AES-256-GCM under the record's DataKey, transparent on attribute access.

The column holds `b"\\x01" + nonce + ciphertext + tag` (crypto.encrypt), bound by its AAD to
`table|column|pk|datakey_id`, so a value copied to another row or column fails to decrypt.

Rules for models that use these fields:

* The primary key must be known before the first save: a `UUIDField(primary_key=True,
  default=uuid.uuid4)`. `manage.py check` reports any other primary key (keys.E001).
* `key_field` names the ForeignKey to DataKey that encrypts the field ("data_key" by
  default) or a dotted path to one ("case.data_key" for child records sharing the case
  key). When a direct key field is still empty at save(), a DataKey is created for it.
* NULL stays NULL: None is stored as SQL NULL, so whether a value is set is visible at
  rest. "" is encrypted like any other value.
* Only `__isnull` lookups work; exact-match search goes through blind indexes (blind.py).
  `values()` / `values_list()` return the raw ciphertext bytes: do not use them on these
  fields. `QuerySet.update()` cannot encrypt and refuses these fields: use save().
* Reading a field decrypts it (first access only) and raises on any failure: Sealed,
  Shredded, DecryptionError. The ciphertext is never returned as a value.
* When many rows are read, `preload_keys(rows)` unwraps all their keys in one keyring call.
"""

from __future__ import annotations

import datetime
import functools
import json
from collections.abc import Iterable
from typing import Any, cast

from django.core import checks
from django.core.exceptions import FieldDoesNotExist, FieldError, ImproperlyConfigured, ValidationError
from django.db import models
from django.db.models import signals
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from corridor.keys import crypto
from corridor.keys.models import DataKey, Shredded

__all__ = [
    "Ciphertext",
    "EncryptedBinaryField",
    "EncryptedDateField",
    "EncryptedField",
    "EncryptedFieldError",
    "EncryptedJSONField",
    "EncryptedTextField",
    "Shredded",
    "preload_keys",
    "resolve_data_key",
]

class _Unset:
    """Marks "ciphertext loaded, not decrypted yet". One instance, kept as itself by copy and
    pickle, so a copied record decrypts instead of returning a stray marker object."""

    __slots__ = ()

    def __reduce__(self) -> str:
        return "_UNSET"

    def __repr__(self) -> str:
        return "<not decrypted>"


_UNSET: Any = _Unset()


class EncryptedFieldError(FieldError):
    """An operation that would need plaintext in the database, or would lose the binding."""


class Ciphertext(bytes):
    """Bytes read from an encrypted column; marks them as ciphertext, never a value to show."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"<Ciphertext {len(self)} bytes>"


# What an instance holds for one encrypted field, in its __dict__ under two names:
#   [attname]            the plaintext, or _UNSET while only the ciphertext is loaded;
#   [_ct_prefix+attname] the ciphertext as plain `bytes`, or None when there is none yet.
# Plain bytes and a shared sentinel, rather than a small object per field, because the
# garbage collector tracks every such object: loading 10,000 rows of 8 fields made 160,000
# of them and cost more than all the decryption.
_CT_PREFIX = "_ct_"


# -- key resolution -----------------------------------------------------------------------------


@functools.lru_cache(maxsize=256)
def _split_path(key_field: str) -> tuple[tuple[str, ...], str]:
    parts = key_field.split(".")
    return tuple(parts[:-1]), parts[-1]


@functools.lru_cache(maxsize=256)
def _attname(model: type[models.Model], name: str) -> str:
    attname: str = getattr(model._meta.get_field(name), "attname")  # noqa: B009 -- narrows a Field | Rel union
    return attname


def _key_holder(instance: models.Model, key_field: str) -> models.Model:
    """The object whose own ForeignKey points to the DataKey (the instance itself, or a parent)."""
    hops, _last = _split_path(key_field)
    holder = instance
    for hop in hops:
        parent: models.Model | None = getattr(holder, hop)
        if parent is None:
            raise EncryptedFieldError(f"{type(instance).__name__}.{key_field}: {hop} is empty, so there is no data key")
        holder = parent
    return holder


def _loaded(instance: models.Model, attname: str) -> Any:
    """A concrete field's value, read from __dict__ where Django keeps it: the pk property and a
    ForeignKey's id attribute are Python-level calls, made once per encrypted value read or
    written (80,000 for a page of 10,000 rows)."""
    try:
        return instance.__dict__[attname]
    except KeyError:  # deferred: the attribute loads it
        return getattr(instance, attname)


def _pk(instance: models.Model) -> Any:
    return _loaded(instance, instance._meta.pk.attname)


def _data_key_id(instance: models.Model, key_field: str) -> Any:
    _hops, last = _split_path(key_field)
    holder = _key_holder(instance, key_field)
    return getattr(holder, _attname(type(holder), last))


def _aad_tail(instance: models.Model, data_key_id: Any) -> bytes:
    """b"|pk|datakey_id", memoised on the instance: every encrypted field of a row shares it."""
    pk = instance.pk
    memo: tuple[Any, Any, bytes] | None = instance.__dict__.get("_encrypted_aad")
    if memo is not None and memo[0] == pk and memo[1] == data_key_id:
        return memo[2]
    tail = f"|{pk}|{data_key_id}".encode()
    instance.__dict__["_encrypted_aad"] = (pk, data_key_id, tail)
    return tail


def _binding(instance: models.Model, key_field: str, pk: Any, data_key_id: Any) -> tuple[Any, ...]:
    """(key_field, pk, data_key_id, data_key, key, cipher, aad tail) for `instance`, memoised on it.

    Every encrypted field of a row under one key shares this, so the key is resolved, its
    AES-GCM schedule built and the AAD tail formatted once per row instead of once per
    value. The memo is checked by identity on each use: a new pk, another data key, or a
    key that DataKey.forget() dropped each build it anew. It lives on the record instance
    only, like the plaintext it protects. `data_key` is None when preload_keys installed
    the memo from the key's id alone (see _preload_by_id).
    """
    memo: tuple[Any, ...] | None = instance.__dict__.get("_encrypted_binding")
    if memo is not None and memo[1] is pk and memo[2] is data_key_id and memo[0] == key_field:
        data_key: DataKey | None = memo[3]
        if data_key is not None:
            # A forget() (a shred through this object) dropped the key: build anew, which raises.
            if data_key.__dict__.get("_plain") is memo[4]:
                return memo
        elif key_field not in instance._state.fields_cache:
            # Preloaded by id. Once code has fetched the DataKey object through the record
            # (to shred it, say), that object is the authority again, so build from it.
            return memo
    data_key = resolve_data_key(instance, key_field)
    key = data_key.plain_key()
    return _remember_binding(instance, key_field, pk, data_key_id, data_key, key, crypto.Cipher(key))


def _remember_binding(
    instance: models.Model, key_field: str, pk: Any, data_key_id: Any, data_key: DataKey | None, key: bytes, cipher: Any
) -> tuple[Any, ...]:
    """Store and return the memo _binding checks (its one layout, built here only)."""
    memo = (key_field, pk, data_key_id, data_key, key, cipher, f"|{pk}|{data_key_id}".encode())
    instance.__dict__["_encrypted_binding"] = memo
    return memo


def resolve_data_key(instance: models.Model, key_field: str = "data_key") -> DataKey:
    """The DataKey object `key_field` leads to from `instance` (dotted paths allowed)."""
    _hops, last = _split_path(key_field)
    data_key: DataKey | None = getattr(_key_holder(instance, key_field), last)
    if data_key is None:
        raise EncryptedFieldError(f"{type(instance).__name__}.{key_field} is empty, so there is no data key")
    return data_key


def preload_keys(instances: Iterable[models.Model]) -> None:
    """Unwrap the data keys of every encrypted field of `instances` in one keyring call.

    Rows fetched with select_related on the key path use the DataKey objects they carry.
    Rows whose only key path is a direct ForeignKey not fetched with them need no join: their
    keys are read by id in one query per batch and unwrapped without building DataKey
    objects (for 10,000 rows the join and the model objects cost more than the decryption).
    """
    data_keys: list[DataKey] = []
    by_id: dict[Any, list[models.Model]] = {}
    for instance in instances:
        info = _info(type(instance))
        direct = info.origin_key_attname
        if direct is not None and info.key_paths[0] not in instance._state.fields_cache:
            data_key_id = instance.__dict__.get(direct)
            if data_key_id is not None:
                by_id.setdefault(data_key_id, []).append(instance)
            continue
        for path in info.key_paths:
            try:
                data_keys.append(resolve_data_key(instance, path))
            except EncryptedFieldError:
                continue
    DataKey.preload(data_keys)
    if by_id:
        _preload_by_id(by_id)


def _preload_by_id(by_id: dict[Any, list[models.Model]]) -> None:
    """Install each row's binding memo from keys unwrapped by id (DataKey.unwrap_by_id).

    A shredded or missing key is left out, so reading such a row takes the usual path and
    raises Shredded there. Rows under one key share one Cipher, as they would share the
    DataKey object after select_related.
    """
    keys = DataKey.unwrap_by_id(list(by_id))
    for data_key_id, rows in by_id.items():
        key = keys.get(data_key_id)
        if key is None:
            continue
        cipher = crypto.Cipher(key)
        for row in rows:
            info = _info(type(row))  # preload_keys puts here only rows with origin_key_attname
            attname = cast("str", info.origin_key_attname)
            # The row's own id object, not the dict's (the first row's): _binding checks it by
            # identity, so any other row would miss the memo and fetch its key again.
            _remember_binding(row, info.key_paths[0], _pk(row), row.__dict__[attname], None, key, cipher)


# -- the descriptor ------------------------------------------------------------------------------


class EncryptedDescriptor:
    """Keeps plaintext and ciphertext in instance.__dict__ (see _CT_PREFIX); decrypts lazily on first read.

    Django sets attributes through this descriptor both from the database (Ciphertext from
    from_db_value) and from user code (plaintext), so the Ciphertext type tells them apart.
    """

    def __init__(self, field: EncryptedField) -> None:
        self.field = field

    def __get__(self, instance: models.Model | None, owner: type | None = None) -> Any:
        if instance is None:
            return self
        field = self.field
        values = instance.__dict__
        try:
            plain = values[field.attname]
        except KeyError:
            # Deferred (.only()/.defer()): load it the way Django's DeferredAttribute does.
            instance.refresh_from_db(fields=[field.attname])
            plain = values[field.attname]
        if plain is _UNSET:
            plain = values[field.attname] = field.decrypt_for(instance, values[field.ct_name])
        return plain

    def __set__(self, instance: models.Model, value: Any) -> None:
        field = self.field
        values = instance.__dict__
        if isinstance(value, Ciphertext):
            values[field.attname] = _UNSET
            # Kept as plain bytes: a Ciphertext, a bytes subclass, is tracked by the garbage
            # collector; 80,000 of them kept alive by a page of rows made every collection slower.
            values[field.ct_name] = bytes(value)
        else:
            values[field.attname] = field.coerce(value)
            values[field.ct_name] = None


# -- the fields --------------------------------------------------------------------------------------


class EncryptedField(models.Field):  # type: ignore[type-arg]  # generic only in django-stubs; not subscriptable at runtime
    """Base class: subclasses say how a value becomes bytes (encode_value) and back (decode_value)."""

    descriptor_class = EncryptedDescriptor
    empty_strings_allowed = False
    # Each model using these fields gets one post-init hook to remember where its
    # ciphertexts were loaded from; see _remember_origin.
    _hooked: set[type] = set()

    def __init__(self, *args: Any, key_field: str = "data_key", **kwargs: Any) -> None:
        self.key_field = key_field
        self.ct_name = ""  # set in contribute_to_class, once attname is known
        kwargs.setdefault("null", True)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)
        # Never in dumpdata or any Django serialiser: they take dates and numbers straight
        # from the decrypted attribute. Backups are database dumps, which hold ciphertext.
        self.serialize = False

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        if self.key_field != "data_key":
            kwargs["key_field"] = self.key_field
        # null and blank default to True here, unlike Field: always write them out.
        kwargs["null"] = self.null
        kwargs["blank"] = self.blank
        kwargs.pop("serialize", None)
        return name, path, args, kwargs

    def get_internal_type(self) -> str:
        return "BinaryField"

    def contribute_to_class(self, cls: type[models.Model], name: str, private_only: bool = False) -> None:
        super().contribute_to_class(cls, name, private_only=private_only)
        self.ct_name = _CT_PREFIX + self.attname
        if not cls._meta.abstract and cls not in EncryptedField._hooked:
            EncryptedField._hooked.add(cls)
            signals.post_init.connect(_remember_origin, sender=cls, weak=False)
            signals.pre_save.connect(_ensure_data_key, sender=cls, weak=False)

    def check(self, **kwargs: Any) -> list[checks.CheckMessage]:
        errors = super().check(**kwargs)
        pk = self.model._meta.pk
        if not isinstance(pk, models.UUIDField) or not callable(pk.default):
            errors.append(
                checks.Error(
                    "a model with encrypted fields needs a UUID primary key with a default",
                    hint="id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)",
                    obj=self,
                    id="keys.E001",
                )
            )
        try:
            self._last_key_field()
        except (ImproperlyConfigured, FieldDoesNotExist) as exc:
            errors.append(checks.Error(str(exc), obj=self, id="keys.E002"))
        return errors

    def _last_key_field(self) -> models.Field[Any, Any]:
        hops, last = _split_path(self.key_field)
        model: Any = self.model
        for hop in hops:
            model = model._meta.get_field(hop).related_model
        field: models.Field[Any, Any] = model._meta.get_field(last)
        if not (field.is_relation and field.related_model is DataKey):
            raise ImproperlyConfigured(
                f"{self.model.__name__}.{self.name}: key_field {self.key_field!r} is not a ForeignKey to DataKey"
            )
        return field

    # -- lookups: only isnull -------------------------------------------------------

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name == "isnull":
            return super().get_lookup(lookup_name)
        raise EncryptedFieldError(
            f"{self.model.__name__}.{self.name} is encrypted: only __isnull works; search it through a blind index"
        )

    def get_transform(self, lookup_name: str) -> Any:
        return None

    # -- value conversion -----------------------------------------------------------

    def encode_value(self, value: Any) -> bytes:
        raise NotImplementedError

    def decode_value(self, data: bytes) -> Any:
        raise NotImplementedError

    def coerce(self, value: Any) -> Any:
        """Plaintext as assigned by code or forms, made the field's Python type."""
        return value

    def to_python(self, value: Any) -> Any:
        return self.coerce(value)

    @functools.cached_property
    def _aad_prefix(self) -> bytes:
        return f"{self.model._meta.db_table}|{self.column}".encode()

    def aad(self, instance: models.Model, data_key_id: Any) -> bytes:
        """table|column|pk|datakey_id: the place this ciphertext belongs to."""
        return self._aad_prefix + _aad_tail(instance, data_key_id)

    @functools.cached_property
    def _key_path(self) -> tuple[tuple[str, ...], str]:
        """(hops, attname of the last ForeignKey): _data_key_id without the lookups per value."""
        hops, _last = _split_path(self.key_field)
        return hops, self._last_key_field().attname

    def _data_key_id(self, instance: models.Model) -> Any:
        hops, attname = self._key_path
        if not hops:
            return _loaded(instance, attname)
        return getattr(_key_holder(instance, self.key_field), attname)

    def decrypt_for(self, instance: models.Model, ciphertext: bytes | None) -> Any:
        if ciphertext is None:
            return None
        pk = _pk(instance)
        data_key_id = self._data_key_id(instance)
        origin = instance.__dict__.get("_encrypted_origin")
        # Identity first: the usual case, and UUID.__eq__ is a Python-level call.
        if origin is not None and not (
            (origin[0] is pk or origin[0] == pk) and (origin[1] is data_key_id or origin[1] == data_key_id)
        ):
            return self.decrypt_for_origin(instance, ciphertext, origin)
        binding = _binding(instance, self.key_field, pk, data_key_id)
        return self.decode_value(binding[5].decrypt(ciphertext, self._aad_prefix + binding[6]))

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        values = model_instance.__dict__
        if self.attname not in values:
            return None
        plain = values[self.attname]
        ciphertext = values.get(self.ct_name)
        if plain is _UNSET:
            # Never read: keep the stored ciphertext, unless the row's binding changed, in
            # which case re-encrypting needs the plaintext under the old binding.
            origin = values.get("_encrypted_origin")
            if origin is not None and origin != (model_instance.pk, _data_key_id(model_instance, self.key_field)):
                plain = values[self.attname] = self.decrypt_for_origin(model_instance, ciphertext, origin)
            else:
                return None if ciphertext is None else Ciphertext(ciphertext)
        if plain is None:
            return None
        pk = _pk(model_instance)
        if pk is None:
            raise ImproperlyConfigured(
                f"{type(model_instance).__name__} has encrypted fields, so its primary key must be set before save "
                "(use a UUIDField with default=uuid.uuid4)"
            )
        binding = _binding(model_instance, self.key_field, pk, self._data_key_id(model_instance))
        blob = binding[5].encrypt(self.encode_value(plain), self._aad_prefix + binding[6])
        values[self.ct_name] = blob
        return Ciphertext(blob)

    def decrypt_for_origin(self, instance: models.Model, ciphertext: bytes | None, origin: tuple[Any, Any]) -> Any:
        if ciphertext is None:
            return None
        # The row was loaded under another pk or data key (a copy, or a key change):
        # the ciphertext is bound to the old pair, so open it with that.
        old_key = DataKey.objects.get(pk=origin[1])
        aad = f"{self.model._meta.db_table}|{self.column}|{origin[0]}|{origin[1]}".encode()
        return self.decode_value(crypto.decrypt(old_key.plain_key(), bytes(ciphertext), aad))

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Ciphertext | None:
        if value is None:
            return None
        return Ciphertext(value)  # from bytes (SQLite) or a memoryview (psycopg): one copy

    def get_db_prep_save(self, value: Any, connection: Any) -> Any:
        # Called once per value saved: straight to the check below, without Field's probe for an
        # expression (pre_save never returns one, so an expression here is refused like plaintext).
        return self.get_db_prep_value(value, connection, prepared=False)

    def get_db_prep_value(self, value: Any, connection: Any, prepared: bool = False) -> Any:
        if value is None:
            return None
        if not isinstance(value, Ciphertext):
            raise EncryptedFieldError(
                f"{self.model.__name__}.{self.name} is encrypted: this would write plaintext or query by it; use save()"
            )
        # Exact bytes, which sqlite3 and psycopg both bind as a blob, rather than
        # Database.Binary(): a memoryview (SQLite) or wrapper (psycopg) per value is an object
        # the garbage collector tracks while a 500-row batch waits, where bytes are not.
        return bytes(value)

    def value_from_object(self, obj: models.Model) -> Any:
        return getattr(obj, self.attname)


class EncryptedTextField(EncryptedField):
    def coerce(self, value: Any) -> Any:
        if value is None or isinstance(value, str):
            return value
        return str(value)

    def encode_value(self, value: Any) -> bytes:
        return str(value).encode("utf-8")

    def decode_value(self, data: bytes) -> str:
        return data.decode("utf-8")

    def formfield(self, **kwargs: Any) -> Any:
        from django import forms

        return super().formfield(**{"form_class": forms.CharField, "widget": forms.Textarea, **kwargs})


class EncryptedJSONField(EncryptedField):
    """Any JSON-serialisable value; dict key order is kept as given."""

    def encode_value(self, value: Any) -> bytes:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    def decode_value(self, data: bytes) -> Any:
        return json.loads(data.decode("utf-8"))

    def formfield(self, **kwargs: Any) -> Any:
        from django import forms

        return super().formfield(**{"form_class": forms.JSONField, **kwargs})


class EncryptedDateField(EncryptedField):
    def coerce(self, value: Any) -> Any:
        if value is None or (isinstance(value, datetime.date) and not isinstance(value, datetime.datetime)):
            return value
        if isinstance(value, datetime.datetime):
            return value.date()
        if isinstance(value, str):
            try:
                parsed = parse_date(value)
            except ValueError:
                parsed = None
            if parsed is None:
                raise ValidationError(_("Enter a valid date (YYYY-MM-DD)."), code="invalid")
            return parsed
        raise ValidationError(_("Enter a valid date."), code="invalid")

    def encode_value(self, value: Any) -> bytes:
        day: datetime.date = value  # coerce() made it a date
        return day.isoformat().encode("ascii")

    def decode_value(self, data: bytes) -> datetime.date:
        return datetime.date.fromisoformat(data.decode("ascii"))

    def formfield(self, **kwargs: Any) -> Any:
        from django import forms

        return super().formfield(**{"form_class": forms.DateField, **kwargs})


class EncryptedBinaryField(EncryptedField):
    def coerce(self, value: Any) -> Any:
        if value is None or (isinstance(value, bytes) and not isinstance(value, Ciphertext)):
            return value
        if isinstance(value, bytearray | memoryview):
            return bytes(value)
        raise ValidationError("Expected bytes.", code="invalid")

    def encode_value(self, value: Any) -> bytes:
        return bytes(value)

    def decode_value(self, data: bytes) -> bytes:
        return data


# -- model hooks -------------------------------------------------------------------------------------


class _ModelInfo:
    """Per model class: its encrypted attnames and, when all share one direct key field, its attname."""

    def __init__(self, model: type[models.Model]) -> None:
        fields = [f for f in model._meta.concrete_fields if isinstance(f, EncryptedField)]
        self.attnames = [f.attname for f in fields]
        self.direct_keys = sorted({f.key_field for f in fields if "." not in f.key_field})
        paths = {f.key_field for f in fields}
        self.key_paths = sorted(paths)
        self.origin_key_attname: str | None = None
        if len(paths) == 1 and self.direct_keys:
            self.origin_key_attname = _attname(model, self.direct_keys[0])


_infos: dict[type[models.Model], _ModelInfo] = {}


def _info(model: type[models.Model]) -> _ModelInfo:
    info = _infos.get(model)
    if info is None:
        info = _infos[model] = _ModelInfo(model)
    return info


def _remember_origin(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    """Record (pk, data key id) of a row loaded from the database, before code can change them.

    Only for the usual shape (every encrypted field under one direct key field); it lets
    save() re-encrypt a never-read value when code copies the row or swaps its key.
    """
    info = _info(sender)
    values = instance.__dict__
    if info.origin_key_attname is None or info.origin_key_attname not in values:
        return  # another shape, or the key field is deferred: no origin to compare with
    for attname in info.attnames:
        if values.get(attname) is _UNSET:
            values["_encrypted_origin"] = (instance.pk, values.get(info.origin_key_attname))
            return


def _ensure_data_key(sender: type[models.Model], instance: models.Model, raw: bool = False, **kwargs: Any) -> None:
    """Give a record its own DataKey on first save when its direct key field is empty."""
    if raw:
        return
    for name in _info(sender).direct_keys:
        if getattr(instance, _attname(sender, name)) is None:
            setattr(instance, name, DataKey.create(sender._meta.model_name or "record"))
