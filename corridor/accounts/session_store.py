"""The session engine (SESSION_ENGINE): Django's database store, keeping only SHA-256 of each key.

The browser's cookie holds the key; the table holds its digest. A copy of the database (a seized
disk, a backup, an insider's SELECT) yields no value that signs anyone in.

Why a plain SHA-256, with no salt, pepper or slow KDF: those protect secrets a person chose,
which can be guessed. A session key is 32 characters drawn by `secrets` from [a-z0-9], about
165 bits; finding a key from its digest is a SHA-256 preimage at that strength (still about
2^150 work with tens of thousands of live sessions to aim at), and a salt cannot make that
harder: it defeats precomputed tables, which need a guessable input space. The lookup must
also be by the digest itself, which a per-row salt would rule out. Keying the hash with
settings.SECRET_KEY (an HMAC) would add nothing against a seized disk: that key is in DATA_DIR.
So this store accepts only keys of that shape (_validate_session_key): the argument rests on it.

What a session's data holds is signed, not encrypted: the user id, the password-derived auth
hash, the OTP device id, the user's session generation and the key service's session epoch.
Read from a copy, none of it is a cookie; see docs/operators/seizure.md for what it is not
(a defence against someone who can also write rows and holds SECRET_KEY).
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from django.contrib.sessions.backends import db
from django.contrib.sessions.backends.base import VALID_KEY_CHARS
from django.contrib.sessions.base_session import AbstractBaseSession, BaseSessionManager
from django.core.exceptions import SuspiciousOperation
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

KEY_LENGTH = 32  # Django's own key length (SessionBase._get_new_session_key)
# An unchanged session's row is rewritten (its idle expiry moved on) only once it is this old;
# see SessionStore.save.
REFRESH_STEP = timedelta(seconds=60)
_KEY_CHARS = frozenset(VALID_KEY_CHARS)


def stored_key(session_key: str) -> str:
    """What the table keeps for a key: its SHA-256, in hex."""
    return hashlib.sha256(session_key.encode("utf-8")).hexdigest()


class _HashedSessionManager(BaseSessionManager["HashedSession"]):
    """Django's session manager, whose save(key, data, expiry) would store the key it is given."""

    def save(self, session_key: str, session_dict: dict[str, Any], expire_date: datetime) -> HashedSession:
        # Nothing in Corridor calls it; if anything ever does, it writes the digest, never the key.
        # (Django's builds the row from positional values, which this model's column order
        # would misplace: the key column comes last here.)
        row = self.model(session_key=stored_key(session_key), session_data=self.encode(session_dict), expire_date=expire_date)
        if session_dict:
            row.save()
        else:
            row.delete()  # as Django's: a session with no data is cleared
        return row


class HashedSession(AbstractBaseSession):
    """A session row whose primary key is the SHA-256 of the browser's key, never the key."""

    objects: ClassVar[_HashedSessionManager] = _HashedSessionManager()

    # 64 hex digits in place of Django's 40-character key column.
    session_key = models.CharField(_("session key digest"), max_length=64, primary_key=True)

    class Meta(AbstractBaseSession.Meta):
        app_label = "accounts"

    @classmethod
    def get_session_store_class(cls) -> type[SessionStore]:
        return SessionStore


if TYPE_CHECKING:
    # The stubs make Django's store generic in its model; at run time it is a plain class.
    _DatabaseStore = db.SessionStore[HashedSession]
else:
    _DatabaseStore = db.SessionStore


class SessionStore(_DatabaseStore):
    """Django's db store, with every use of the key against the table made through its digest.

    Django's db backend touches `session_key` in the table in exactly these places: the load
    (sync and async), exists (used while drawing a new key), the row built for save, and delete
    (flush at sign-out, cycle_key at sign-in and step-up). clear_expired selects by date only.
    """

    @classmethod
    def get_model_class(cls) -> type[HashedSession]:
        return HashedSession

    def _validate_session_key(self, key: str | None) -> bool:
        # Only a key this store could have drawn: anything else (the stored digest pasted as a
        # cookie, a short or chosen value) is no session and is never looked up.
        return isinstance(key, str) and len(key) == KEY_LENGTH and set(key) <= _KEY_CHARS

    def _get_session_from_db(self) -> HashedSession | None:
        if self.session_key is None:
            return None
        try:
            row = self.model.objects.get(session_key=stored_key(self.session_key), expire_date__gt=timezone.now())
        except (self.model.DoesNotExist, SuspiciousOperation) as e:
            self._forget(e)
            return None
        self._loaded = (self.session_key, row.expire_date)
        return row

    async def _aget_session_from_db(self) -> HashedSession | None:
        if self.session_key is None:
            return None
        try:
            row = await self.model.objects.aget(session_key=stored_key(self.session_key), expire_date__gt=timezone.now())
        except (self.model.DoesNotExist, SuspiciousOperation) as e:
            self._forget(e)
            return None
        self._loaded = (self.session_key, row.expire_date)
        return row

    def _refresh_can_wait(self, must_create: bool) -> bool:
        """True when saving would only move an unchanged session's idle expiry by less than
        REFRESH_STEP (at most a tenth of the idle timeout): the write is skipped.

        SESSION_SAVE_EVERY_REQUEST makes every request save its session so that the idle timeout
        (the row's expire_date) follows the last request. Written every time, that was a second
        committed write (on SQLite a second fsync) on every page besides its audit entry. Skipped
        while it would move the expiry by less than a step, a session ends at most one step
        earlier than the idle timeout after its last request, never later; a changed session
        (sign-in, step-up, a new key, sign-out) is written as before. As everywhere in Django, a
        change is one that sets a key; a value changed in place must set `modified` (Corridor's
        code only ever sets keys).

        Only a move forward waits. A row expiring later than a full idle timeout from now (the
        operator lowered CORRIDOR_SESSION_IDLE_SECONDS and restarted the web server, which keeps
        sessions; or this node's clock stepped back) is brought in at once, as every request did
        before: kept, it let a session outlive the idle timeout after its last request.
        """
        loaded: tuple[str, datetime] | None = getattr(self, "_loaded", None)
        if must_create or self.modified or loaded is None or loaded[0] != self.session_key:
            return False
        step = min(REFRESH_STEP, timedelta(seconds=self.get_session_cookie_age()) / 10)
        return timedelta(0) <= self.get_expiry_date() - loaded[1] < step

    def save(self, must_create: bool = False) -> None:
        if not self._refresh_can_wait(must_create):
            super().save(must_create)

    async def asave(self, must_create: bool = False) -> None:
        if not self._refresh_can_wait(must_create):
            await super().asave(must_create)

    def _forget(self, error: Exception) -> None:
        # As Django's store: an unknown or expired key is dropped, so a save draws a new one
        # instead of writing the browser's (possibly planted) key.
        if isinstance(error, SuspiciousOperation):
            logging.getLogger(f"django.security.{error.__class__.__name__}").warning(str(error))
        self._session_key = None

    def is_empty(self) -> bool:
        # SessionMiddleware asks this before it saves (every request: SESSION_SAVE_EVERY_REQUEST)
        # without loading. A key the browser sent but no row has (planted, expired, ended) then
        # counted as a session on pages that never read it, e.g. the intake, and the save drew
        # and wrote a fresh empty row: one per request, from anyone. Loading first drops such a
        # key, as on pages that read the session; `accessed` stays as the page left it.
        if self.session_key is not None and not hasattr(self, "_session_cache"):
            accessed = self.accessed
            self.keys()  # loads, through the public API
            self.accessed = accessed
        return super().is_empty()

    def exists(self, session_key: str) -> bool:
        return self.model.objects.filter(session_key=stored_key(session_key)).exists()

    async def aexists(self, session_key: str) -> bool:
        return await self.model.objects.filter(session_key=stored_key(session_key)).aexists()

    def create_model_instance(self, data: dict[str, Any]) -> HashedSession:
        # Django's row (drawing a key first if there is none), then the key swapped for its digest.
        row = super().create_model_instance(data)
        row.session_key = stored_key(row.session_key)
        return row

    async def acreate_model_instance(self, data: dict[str, Any]) -> HashedSession:
        row = await super().acreate_model_instance(data)
        row.session_key = stored_key(row.session_key)
        return row

    def delete(self, session_key: str | None = None) -> None:
        key = self.session_key if session_key is None else session_key
        if key is not None:
            self.model.objects.filter(session_key=stored_key(key)).delete()

    async def adelete(self, session_key: str | None = None) -> None:
        key = self.session_key if session_key is None else session_key
        if key is not None:
            await self.model.objects.filter(session_key=stored_key(key)).adelete()
