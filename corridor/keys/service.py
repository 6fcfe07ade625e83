"""KeyService: the keyring in process — sealing, unsealing, envelope encryption, signing.

keyd serves one of these over its socket; tests use it directly through the same interface.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

from corridor.keys import crypto, kdf, keystore, shamir, treehead
from corridor.keys.errors import (
    AlreadyInitialized,
    DecryptionError,
    KeyringError,
    KeystoreTampered,
    NotInitialized,
    Sealed,
    ShareAlreadyEntered,
    ShareFormatError,
    ShareNotIssued,
    SharesUnverifiable,
    TooManyRequests,
    UnknownEpoch,
    UnsealFailed,
)
from corridor.keys.keystore import EpochRecord, Keystore

# One HKDF `info` per purpose, so no derived key can stand in for another.
INFO_CHECK = b"corridor/v1/check"
INFO_WRAP_KEK = b"corridor/v1/wrap/kek"
INFO_WRAP_INTAKE = b"corridor/v1/wrap/intake"
INFO_WRAP_SIGNING = b"corridor/v1/wrap/signing"
INFO_BLIND_INDEX = b"corridor/v1/blind-index/"
# The instance's age identity for referral bundles partners send it: derived from the root
# key when unsealed (never written anywhere; the same for as long as the root key is).
INFO_REFERRAL_IDENTITY = b"corridor/v1/referral/age-identity"
# What a referral signature covers: this context, then the SHA-256 of the bundle file. An audit
# checkpoint begins with treehead.CHECKPOINT_VERSION ("corridor.audit.checkpoint/1"), so no
# message of one kind is ever a message of the other, and neither signature verifies as the other.
REFERRAL_SIGNATURE_CONTEXT = b"corridor/v1/referral-bundle\n"


def referral_message(digest: bytes) -> bytes:
    """The bytes a referral signature covers, for the SHA-256 `digest` of a bundle file."""
    if len(digest) != 32:
        raise ValueError("a referral digest is 32 bytes of SHA-256")
    return REFERRAL_SIGNATURE_CONTEXT + digest.hex().encode("ascii") + b"\n"


SHARE_COMMITMENT_DOMAIN = b"corridor/v1/share-commitment"

ROOT_KEY_BYTES = 32
ADDRESS_TAGS_PER_SECOND = 500
_EPOCH_BYTES = 4
_CHECK_PLAINTEXT = b"corridor keystore check v1"

_UNSEAL_FAILED = "unseal failed: the shares entered do not open this instance; progress has been reset, enter the shares again"
_NOT_ISSUED = "this share was not issued for this instance; the shares already entered are kept"
_ALREADY_ENTERED = "a share with this number is already waiting; the shares already entered are kept"
_UNVERIFIABLE = (
    "this keystore predates share commitments, so a single share cannot be checked until the next unseal; "
    "reset from the server's shell: corridor unseal --reset"
)
# How long an entered share waits for the others before it is forgotten.
DEFAULT_SHARE_TTL_SECONDS = 600.0

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class Status:
    initialized: bool
    sealed: bool
    threshold: int
    shares_total: int
    shares_received: int
    current_epoch: int
    # Random per unseal, empty while sealed: a web worker whose sessions were issued under
    # another value ends them, so a seal ends every session without a database write.
    session_epoch: str


@dataclass(frozen=True)
class EpochInfo:
    version: int
    created: str
    retired: str | None
    current: bool


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _root_aad(store_id: str, purpose: str) -> bytes:
    # Binds each root-wrapped item to this instance and its slot, so items cannot be
    # swapped between slots or between instances.
    return f"corridor/v1|{store_id}|{purpose}".encode()


def _data_aad(context: str, epoch: int) -> bytes:
    # The epoch is last and never contains "|", so the encoding is unambiguous.
    return f"{context}|{epoch}".encode()


def share_commitment(instance_id: str, part: bytes) -> bytes:
    """SHA-256 over this instance and one share (y bytes, then x as the last byte).

    Stored for each issued share, it lets keyd refuse a forged share on its own, before the
    share can join the waiting pool and spoil a combination. It reveals nothing about the
    root key: a share is 32 uniformly random bytes, so the hash cannot be inverted, and with
    k-1 genuine shares the missing one still carries the root key's full 256 bits.
    """
    digest = hashlib.sha256()
    for item in (SHARE_COMMITMENT_DOMAIN, instance_id.encode("ascii"), part):
        digest.update(len(item).to_bytes(4, "big") + item)
    return digest.digest()


def _wrap_kek(root: bytes, store_id: str, version: int, kek: bytes) -> bytes:
    return crypto.encrypt(crypto.hkdf(root, INFO_WRAP_KEK), kek, _root_aad(store_id, f"kek|{version}"))


def initialize(data_dir: Path, shares: int, threshold: int) -> list[str]:
    """Create a new keystore and return the share lines for the trustees.

    The root key exists only inside this call; it is never written anywhere.
    """
    if keystore.exists(data_dir):
        raise AlreadyInitialized(f"a keystore already exists in {data_dir}")
    root = crypto.random_key()
    parts = shamir.split(root, shares, threshold)
    store_id = uuid.uuid4().hex
    intake_identity, intake_recipient = crypto.generate_age_identity()
    signing_key = crypto.generate_signing_key()
    created = _now()
    store = Keystore(
        instance_id=store_id,
        shares_total=shares,
        threshold=threshold,
        check=crypto.encrypt(crypto.hkdf(root, INFO_CHECK), _CHECK_PLAINTEXT, _root_aad(store_id, "check")),
        epochs={1: EpochRecord(_wrap_kek(root, store_id, 1, crypto.random_key()), created)},
        current_epoch=1,
        intake_identity=crypto.encrypt(
            crypto.hkdf(root, INFO_WRAP_INTAKE),
            intake_identity.encode("ascii"),
            _root_aad(store_id, "intake"),
        ),
        intake_recipient=intake_recipient,
        signing_key=crypto.encrypt(crypto.hkdf(root, INFO_WRAP_SIGNING), signing_key, _root_aad(store_id, "signing")),
        signing_public_key=crypto.public_key(signing_key),
        created=created,
        share_commitments={part[-1]: share_commitment(store_id, part) for part in parts},
    )
    try:
        keystore.save(data_dir, store, create=True)
    except FileExistsError:
        raise AlreadyInitialized(f"a keystore already exists in {data_dir}") from None
    return [shamir.format_share(number, part) for number, part in enumerate(parts, start=1)]


@dataclass
class _Waiting:
    """One share entered and waiting for the others, with when it arrived (monotonic clock)."""

    part: bytearray
    since: float


@dataclass
class _Unsealed:
    """Keys held in memory while unsealed; dropped as a whole on seal."""

    root: bytes
    keks: dict[int, bytes]
    intake_identity: str
    signing_key: bytes
    session_epoch: str
    referral_identity: str
    # Blind-index keys derived so far (HKDF from root, one per index name), so a search does
    # not run HKDF on every call. Dropped with the rest on seal; see KeyService.blind_index.
    index_keys: dict[str, bytes] = field(default_factory=dict)


# Index names come from code (a handful), but anyone who can reach keyd can ask for any name:
# past this many, keys are derived per call instead of kept, so memory stays bounded.
MAX_CACHED_INDEX_KEYS = 64


class KeyService:
    """The keyring. Thread-safe: every public method runs under one lock, so a seal()
    that returned is seen by every later call from any thread."""

    def __init__(
        self,
        data_dir: Path,
        *,
        min_retired_days: float = 35,
        share_ttl_seconds: float = DEFAULT_SHARE_TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """`min_retired_days`: how long an epoch must have been retired before it may be
        destroyed — the backup-retention window, enforced here so that no web worker (or
        code running in one) can destroy keys that backups still need.

        `share_ttl_seconds`: how long an entered share waits for the others. Measured on a
        monotonic clock, so changing the system time neither keeps nor drops shares."""
        self._data_dir = data_dir
        self._min_retired = timedelta(days=min_retired_days)
        self._share_ttl = share_ttl_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._store: Keystore | None = None
        self._keys: _Unsealed | None = None
        self._pending: dict[int, _Waiting] = {}
        # Rate-limit tags: a random key of the day, in this process's memory only (never
        # derived from the root key, never written), so it works while sealed and no copy
        # of the disk can test an address against the tags stored with the counters.
        self._address_key: tuple[int, bytes] | None = None
        self._address_lock = threading.Lock()
        # Tags computed per second, as a token bucket: code in a web worker could otherwise ask
        # for the tag of every IPv4 address (about 300,000 a second: all of them in four hours)
        # and read the addresses behind the stored counters. At this rate a day's key covers
        # about 1 % of IPv4; intake needs one or two tags per request.
        self._address_budget = float(ADDRESS_TAGS_PER_SECOND)
        self._address_budget_at = clock()

    # -- internal helpers (call with the lock held) --------------------------------

    def _store_or_raise(self) -> Keystore:
        if self._store is None:
            # Re-read: the keystore may have been created after this service started.
            self._store = keystore.load(self._data_dir)
        if self._store is None:
            raise NotInitialized(f"no keystore in {self._data_dir}; run `corridor init`")
        return self._store

    def _keys_or_raise(self) -> _Unsealed:
        self._store_or_raise()
        if self._keys is None:
            raise Sealed("the key service is sealed")
        return self._keys

    def _status(self) -> Status:
        try:
            store = self._store_or_raise()
        except NotInitialized:
            return Status(False, True, 0, 0, 0, 0, "")
        self._expire_pending()
        return Status(
            initialized=True,
            sealed=self._keys is None,
            threshold=store.threshold,
            shares_total=store.shares_total,
            shares_received=len(self._pending),
            current_epoch=store.current_epoch,
            session_epoch="" if self._keys is None else self._keys.session_epoch,
        )

    def _clear_pending(self) -> None:
        # Best effort only: see hardening.py on why CPython cannot promise zeroisation.
        for waiting in self._pending.values():
            waiting.part[:] = bytes(len(waiting.part))
        self._pending.clear()

    def _expire_pending(self) -> None:
        now = self._clock()
        for x in [x for x, waiting in self._pending.items() if now - waiting.since >= self._share_ttl]:
            waiting = self._pending.pop(x)
            waiting.part[:] = bytes(len(waiting.part))

    def _check_issued(self, store: Keystore, part: bytes) -> None:
        """Refuse a share that is not one of the issued ones, before it touches the pool.

        Keystores made before commitments existed have none until their next unseal; their
        shares can only be checked together, at the threshold, as before.
        """
        if len(part) != ROOT_KEY_BYTES + 1:
            raise ShareFormatError("this share does not belong to this instance")
        if not store.share_commitments:
            return
        # The x coordinate is printed in every share and is no secret; the comparison of the
        # commitments is constant-time, and runs against zeros when x was never issued.
        expected = store.share_commitments.get(part[-1], bytes(32))
        if not hmac.compare_digest(share_commitment(store.instance_id, part), expected):
            raise ShareNotIssued(_NOT_ISSUED)

    def _learn_commitments(self, store: Keystore, parts: Sequence[bytes]) -> None:
        """After the first unseal of an older keystore, record commitments to its shares.

        pyshamir's split() gives shares random x coordinates (1..255) and the keystore never
        recorded which, so the polynomial is evaluated at every possible x. A share at an x
        that was never issued matches only if it lies on the root key's own polynomial, which
        only someone holding k shares can compute: it is as good as an issued one.
        """
        started = time.monotonic()
        store.share_commitments = {x: share_commitment(store.instance_id, shamir.evaluate(parts, x)) for x in range(1, 256)}
        try:
            keystore.save(self._data_dir, store)
        except OSError as exc:
            # Unsealed either way; the commitments hold in memory and are computed again at
            # the next unseal.
            log.warning("share commitments could not be saved: %s", type(exc).__name__)
        else:
            log.warning("recorded share commitments in the keystore (%.1f s)", time.monotonic() - started)

    def _open(self, store: Keystore, root: bytes) -> _Unsealed:
        """Unwrap everything under root; raises DecryptionError if root is wrong."""
        crypto.decrypt(crypto.hkdf(root, INFO_CHECK), store.check, _root_aad(store.instance_id, "check"))
        kek_key = crypto.hkdf(root, INFO_WRAP_KEK)
        keks = {
            version: crypto.decrypt(kek_key, epoch.wrapped, _root_aad(store.instance_id, f"kek|{version}"))
            for version, epoch in store.epochs.items()
        }
        identity = crypto.decrypt(
            crypto.hkdf(root, INFO_WRAP_INTAKE),
            store.intake_identity,
            _root_aad(store.instance_id, "intake"),
        )
        signing_key = crypto.decrypt(
            crypto.hkdf(root, INFO_WRAP_SIGNING),
            store.signing_key,
            _root_aad(store.instance_id, "signing"),
        )
        # The public halves are stored in clear so intake works while sealed; check they belong
        # to the wrapped private halves, or a swapped keystore would redirect every request
        # for help (and the audit trust anchor) to someone else's key.
        if crypto.age_recipient_of(identity.decode("ascii")) != store.intake_recipient:
            raise KeystoreTampered("the keystore's intake recipient is not this instance's: the keystore was edited")
        if crypto.public_key(signing_key) != store.signing_public_key:
            raise KeystoreTampered("the keystore's audit signing key is not this instance's: the keystore was edited")
        return _Unsealed(
            root=root,
            keks=keks,
            intake_identity=identity.decode("ascii"),
            signing_key=signing_key,
            session_epoch=secrets.token_urlsafe(24),
            referral_identity=kdf.age_identity_from_seed(crypto.hkdf(root, INFO_REFERRAL_IDENTITY))[0],
        )

    @staticmethod
    def _kek_cipher(keys: _Unsealed, epoch: int, ciphers: dict[int, crypto.Cipher]) -> crypto.Cipher:
        """The AES-GCM cipher of KEK `epoch`, built once per batch call.

        Building one costs more than unwrapping a key with it (a batch of 10,000 unwraps spent
        more on building than on decrypting). `ciphers` is a local of one public call, made
        under the lock from the keys it was handed: it never outlives the call, so a seal()
        drops every key exactly as before, and an epoch destroyed later is never reached
        through it."""
        cipher = ciphers.get(epoch)
        if cipher is None:
            kek = keys.keks.get(epoch)
            if kek is None:
                raise UnknownEpoch(f"key epoch {epoch} does not exist or was destroyed")
            cipher = ciphers[epoch] = crypto.Cipher(kek)
        return cipher

    def _unwrap_one(self, keys: _Unsealed, blob: bytes, context: str, ciphers: dict[int, crypto.Cipher]) -> bytes:
        if len(blob) < _EPOCH_BYTES:
            raise DecryptionError("wrapped key is malformed")
        epoch = int.from_bytes(blob[:_EPOCH_BYTES], "big")
        return self._kek_cipher(keys, epoch, ciphers).decrypt(blob[_EPOCH_BYTES:], _data_aad(context, epoch))

    def _wrap_one(
        self, keys: _Unsealed, epoch: int, plaintext: bytes, context: str, ciphers: dict[int, crypto.Cipher]
    ) -> bytes:
        blob = self._kek_cipher(keys, epoch, ciphers).encrypt(plaintext, _data_aad(context, epoch))
        return epoch.to_bytes(_EPOCH_BYTES, "big") + blob

    def _with_keys(self, fn: Callable[[Keystore, _Unsealed], T]) -> T:
        with self._lock:
            store = self._store_or_raise()
            return fn(store, self._keys_or_raise())

    # -- unsealing ----------------------------------------------------------------

    def status(self) -> Status:
        with self._lock:
            return self._status()

    def submit_share(self, text: str) -> Status:
        """Add one trustee share; at the threshold, try to unseal.

        A share that is not one of the issued ones (ShareNotIssued), or whose x is already
        waiting (ShareAlreadyEntered), is refused and leaves the waiting shares as they were:
        a stranger can neither fill the pool with forgeries nor empty it.
        """
        part = shamir.parse_share(text)
        with self._lock:
            store = self._store_or_raise()
            if self._keys is not None:
                return self._status()
            self._check_issued(store, part)
            self._expire_pending()
            x = part[-1]
            if x in self._pending:
                # With commitments both shares match the one commitment at x, so they are the
                # same share. Without (an older keystore), the first one stays: letting a
                # conflicting newcomer empty the pool would let anyone wipe the progress.
                raise ShareAlreadyEntered(_ALREADY_ENTERED)
            self._pending[x] = _Waiting(bytearray(part), self._clock())
            if len(self._pending) < store.threshold:
                return self._status()
            parts = [bytes(waiting.part) for waiting in self._pending.values()]
            try:
                root = shamir.combine(parts)
                self._keys = self._open(store, root)
            except (ValueError, DecryptionError):
                raise UnsealFailed(_UNSEAL_FAILED) from None
            finally:
                self._clear_pending()
            if not store.share_commitments:
                self._learn_commitments(store, parts)
            return self._status()

    def reset_unseal(self, share: str | None = None) -> Status:
        """Forget the shares entered so far.

        With `share` (the web page), the reset needs a share that is one of the issued ones,
        which then counts as the first share of the new round; a stranger cannot reset.
        Without one it needs nothing: only the shell (`corridor unseal --reset`) and code
        already running as keyd's own user reach keyd without going through the page.
        """
        part = None if share is None else shamir.parse_share(share)
        with self._lock:
            if part is None:
                self._clear_pending()
                return self._status()
            store = self._store_or_raise()
            if self._keys is not None:
                return self._status()
            if not store.share_commitments:
                raise SharesUnverifiable(_UNVERIFIABLE)
            self._check_issued(store, part)
            self._clear_pending()
            self._pending[part[-1]] = _Waiting(bytearray(part), self._clock())
            return self._status()

    def seal(self) -> None:
        """Drop every key and pending share, effective for every later call.

        The keys go first, without waiting for the lock: a lockdown must not queue behind
        a long batch (a single attribute store is atomic in CPython).
        """
        self._keys = None
        with self._lock:
            self._keys = None
            self._clear_pending()

    # -- data keys ------------------------------------------------------------------

    def wrap(self, items: Sequence[tuple[bytes, str]]) -> list[bytes]:
        """Wrap (key, context) pairs under the current KEK; context is e.g. "person|<uuid>"."""

        def run(store: Keystore, keys: _Unsealed) -> list[bytes]:
            epoch = store.current_epoch
            ciphers: dict[int, crypto.Cipher] = {}
            return [self._wrap_one(keys, epoch, key, context, ciphers) for key, context in items]

        return self._with_keys(run)

    def unwrap(self, items: Sequence[tuple[bytes, str]]) -> list[bytes]:
        """Unwrap (wrapped, context) pairs; any failure raises, for the whole batch."""

        def run(_store: Keystore, keys: _Unsealed) -> list[bytes]:
            ciphers: dict[int, crypto.Cipher] = {}
            return [self._unwrap_one(keys, blob, ctx, ciphers) for blob, ctx in items]

        return self._with_keys(run)

    def generate_data_keys(self, contexts: Sequence[str]) -> list[tuple[bytes, bytes]]:
        """New random data keys, each returned as (plaintext, wrapped)."""

        def run(store: Keystore, keys: _Unsealed) -> list[tuple[bytes, bytes]]:
            out = []
            ciphers: dict[int, crypto.Cipher] = {}
            for context in contexts:
                key = crypto.random_key()
                out.append((key, self._wrap_one(keys, store.current_epoch, key, context, ciphers)))
            return out

        return self._with_keys(run)

    def rewrap(self, items: Sequence[tuple[bytes, str]]) -> list[bytes]:
        """Re-wrap (wrapped, context) pairs under the current epoch."""

        def run(store: Keystore, keys: _Unsealed) -> list[bytes]:
            current = store.current_epoch
            out = []
            ciphers: dict[int, crypto.Cipher] = {}
            for blob, context in items:
                key = self._unwrap_one(keys, blob, context, ciphers)
                out.append(self._wrap_one(keys, current, key, context, ciphers))
            return out

        return self._with_keys(run)

    # -- epochs ---------------------------------------------------------------------

    def rotate(self) -> int:
        """Create a new KEK epoch, make it current, persist; returns its version."""

        def run(store: Keystore, keys: _Unsealed) -> int:
            # The current epoch is always the highest and is never destroyed, so
            # max + 1 never reuses the number of a destroyed epoch.
            version = max(store.epochs) + 1
            kek = crypto.random_key()
            store.epochs[version] = EpochRecord(_wrap_kek(keys.root, store.instance_id, version, kek), _now())
            previous = store.current_epoch
            store.current_epoch = version
            try:
                keystore.save(self._data_dir, store)
            except BaseException:
                del store.epochs[version]
                store.current_epoch = previous
                raise
            keys.keks[version] = kek
            return version

        return self._with_keys(run)

    def retire_epoch(self, version: int) -> None:
        """Mark an old epoch retired: still unwraps, and may now be destroyed."""

        def run(store: Keystore, _keys: _Unsealed) -> None:
            epoch = self._epoch_or_raise(store, version)
            if version == store.current_epoch:
                raise ValueError("the current epoch cannot be retired; rotate first")
            if epoch.retired is None:
                epoch.retired = _now()
                try:
                    keystore.save(self._data_dir, store)
                except BaseException:
                    epoch.retired = None
                    raise

        self._with_keys(run)

    def destroy_epoch(self, version: int) -> None:
        """Delete a retired epoch's KEK from disk and memory; its blobs become unrecoverable."""

        def run(store: Keystore, keys: _Unsealed) -> None:
            epoch = self._epoch_or_raise(store, version)
            if version == store.current_epoch or epoch.retired is None:
                raise ValueError("only a retired, non-current epoch can be destroyed")
            if datetime.now(UTC) - datetime.fromisoformat(epoch.retired) < self._min_retired:
                raise ValueError("this epoch was retired less than the backup-retention window ago")
            del store.epochs[version]
            try:
                keystore.save(self._data_dir, store)
            except BaseException:
                store.epochs[version] = epoch
                raise
            keys.keks.pop(version, None)

        self._with_keys(run)

    @staticmethod
    def _epoch_or_raise(store: Keystore, version: int) -> EpochRecord:
        epoch = store.epochs.get(version)
        if epoch is None:
            raise UnknownEpoch(f"key epoch {version} does not exist")
        return epoch

    def epochs(self) -> list[EpochInfo]:
        """Every epoch still in the keystore (works while sealed)."""
        with self._lock:
            store = self._store_or_raise()
            return [
                EpochInfo(version, e.created, e.retired, version == store.current_epoch)
                for version, e in sorted(store.epochs.items())
            ]

    # -- blind indexes, intake, signing ----------------------------------------------

    def blind_index(self, index: str, values: Sequence[str], bits: int) -> list[bytes]:
        """Truncated HMACs of already-normalised values under the named index's key."""
        if not index:
            raise ValueError("a blind index needs a name")

        def run(_store: Keystore, keys: _Unsealed) -> list[bytes]:
            key = keys.index_keys.get(index)
            if key is None:
                key = crypto.hkdf(keys.root, INFO_BLIND_INDEX + index.encode("utf-8"))
                if len(keys.index_keys) < MAX_CACHED_INDEX_KEYS:
                    keys.index_keys[index] = key
            return crypto.blind_indexes(key, values, bits)

        return self._with_keys(run)

    def intake_recipient(self) -> str:
        """The age recipient for intake messages; public, so it works while sealed."""
        with self._lock:
            return self._store_or_raise().intake_recipient

    def open_intake(self, ciphertexts: Sequence[bytes]) -> list[bytes]:
        """Decrypt intake messages with the intake identity."""
        return self._with_keys(lambda _store, keys: [crypto.age_decrypt(keys.intake_identity, c) for c in ciphertexts])

    def tree_head(self) -> treehead.SignedTreeHead | None:
        """The last audit tree head signed (None before the first); public, works while sealed."""
        with self._lock:
            return treehead.load_head(self._data_dir, self._store_or_raise().signing_public_key)

    def sign_tree_head(
        self,
        old_size: int,
        old_root: bytes,
        new_size: int,
        new_root: bytes,
        proof: Sequence[bytes],
        frontier: Sequence[bytes],
    ) -> treehead.SignedTreeHead:
        """Sign an audit checkpoint, only as an RFC 6962 consistent extension of the last one.

        There is no operation that signs arbitrary bytes: code in a web worker that rewrote
        the log cannot get its rewritten tree signed (TreeHeadRefused). The last head is
        kept in keyd's own file, not in the database (see corridor.keys.treehead).
        """

        def run(store: Keystore, keys: _Unsealed) -> treehead.SignedTreeHead:
            return treehead.sign_extension(
                self._data_dir,
                keys.signing_key,
                store.signing_public_key,
                old_size=old_size,
                old_root=old_root,
                new_size=new_size,
                new_root=new_root,
                proof=proof,
                frontier=frontier,
            )

        return self._with_keys(run)

    # -- referral bundles: the instance's own age identity, and signatures in their own context --

    def referral_recipient(self) -> str:
        """The age recipient partners encrypt referral bundles to (needs the keys: unsealed)."""
        return self._with_keys(lambda _store, keys: crypto.age_recipient_of(keys.referral_identity))

    def open_referral(self, ciphertext: bytes) -> bytes:
        """Decrypt a bundle encrypted to referral_recipient(); DecryptionError if it was not."""
        return self._with_keys(lambda _store, keys: crypto.age_decrypt(keys.referral_identity, ciphertext))

    def sign_referral(self, digest: bytes) -> bytes:
        """Ed25519 signature, by the audit signing key, of referral_message(digest).

        Only a 32-byte digest is accepted and the context is added here, so what this signs
        can never be an audit checkpoint (which sign_tree_head alone signs)."""
        message = referral_message(digest)
        return self._with_keys(lambda _store, keys: crypto.sign(keys.signing_key, message))

    def signing_public_key(self) -> bytes:
        """Raw Ed25519 public key; works while sealed."""
        with self._lock:
            return self._store_or_raise().signing_public_key

    def address_tags(self, addresses: Sequence[str]) -> list[str]:
        """HMAC-SHA256 (128 bits, hex) of network addresses under today's in-memory key.

        Works sealed and uninitialised: the intake's rate limits need it from the first
        request. The key changes every UTC day and at every restart of the key service.
        """
        day = int(time.time() // 86400)
        with self._address_lock:
            now = self._clock()
            self._address_budget = min(
                float(ADDRESS_TAGS_PER_SECOND), self._address_budget + (now - self._address_budget_at) * ADDRESS_TAGS_PER_SECOND
            )
            self._address_budget_at = now
            if len(addresses) > self._address_budget:
                raise TooManyRequests("address tags: the budget per second is spent; try again in a moment")
            self._address_budget -= len(addresses)
            if self._address_key is None or self._address_key[0] != day:
                self._address_key = (day, secrets.token_bytes(32))
            key = self._address_key[1]
        return [hmac.new(key, address.encode("utf-8"), hashlib.sha256).hexdigest()[:32] for address in addresses]


__all__ = [
    "EpochInfo",
    "KeyService",
    "KeyringError",
    "Status",
    "initialize",
]
