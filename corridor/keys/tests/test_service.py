"""Tests for KeyService and the keystore: sealing, unsealing, envelope keys, epochs.

Every test drives the real KeyService on a real keystore in a temporary directory.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import stat
import threading
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from corridor.keys import crypto, keystore, shamir, treehead
from corridor.keys.errors import (
    AlreadyInitialized,
    DecryptionError,
    KeyringError,
    NotInitialized,
    Sealed,
    ShareAlreadyEntered,
    ShareFormatError,
    ShareNotIssued,
    SharesUnverifiable,
    UnknownEpoch,
    UnsealFailed,
)
from corridor.keys.keyring import Keyring
from corridor.keys.service import KeyService, initialize, share_commitment
from corridor.keys.tests.conftest import Instance, typo


def _person(n: int = 1) -> str:
    return f"person|{uuid.UUID(int=n)}"


def _recover_root(instance: Instance) -> bytes:
    return shamir.combine([shamir.parse_share(s) for s in instance.shares[:3]])


def test_key_service_is_a_keyring(tmp_path: Path) -> None:
    keyring: Keyring = KeyService(tmp_path)  # checked by mypy --strict
    assert keyring.status().initialized is False


def test_initialize_returns_numbered_shares(instance: Instance) -> None:
    assert [s.split(":")[0] for s in instance.shares] == [f"share {n}" for n in range(1, 6)]
    assert len({s.split(": ")[1] for s in instance.shares}) == 5


def test_initialize_refuses_existing_keystore(instance: Instance) -> None:
    with pytest.raises(AlreadyInitialized):
        initialize(instance.data_dir, shares=5, threshold=3)


@pytest.mark.parametrize(("shares", "threshold"), [(5, 1), (2, 3), (256, 3)])
def test_initialize_validates_arguments(tmp_path: Path, shares: int, threshold: int) -> None:
    with pytest.raises(ValueError):
        initialize(tmp_path, shares=shares, threshold=threshold)
    assert not keystore.exists(tmp_path)


def test_keystore_file_modes_and_contents(instance: Instance) -> None:
    path = keystore.keystore_path(instance.data_dir)
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert os.listdir(path.parent) == ["keystore.json"]  # no temp file left behind
    data = json.loads(path.read_bytes())
    assert sorted(data) == sorted(
        [
            "format",
            "instance_id",
            "shares_total",
            "threshold",
            "check",
            "epochs",
            "current_epoch",
            "intake_identity",
            "intake_recipient",
            "signing_key",
            "signing_public_key",
            "created",
            "share_commitments",
        ]
    )
    assert data["shares_total"] == 5
    assert data["threshold"] == 3
    assert data["current_epoch"] == 1
    assert data["epochs"]["1"]["retired"] is None


def test_root_key_is_not_in_the_keystore(instance: Instance) -> None:
    root = _recover_root(instance)
    raw = keystore.keystore_path(instance.data_dir).read_bytes()
    for form in (
        root,
        root.hex().encode(),
        root.hex().upper().encode(),
        base64.b64encode(root),
        base64.b32encode(root).rstrip(b"="),
    ):
        assert form not in raw
    # The intake identity and signing key are there only wrapped, too.
    assert b"AGE-SECRET-KEY" not in raw


def test_keystore_rejects_unknown_format(instance: Instance) -> None:
    path = keystore.keystore_path(instance.data_dir)
    data = json.loads(path.read_bytes())
    data["format"] = 99
    path.write_text(json.dumps(data))
    with pytest.raises(KeyringError, match="unsupported keystore format"):
        KeyService(instance.data_dir).status()


def test_not_initialized(tmp_path: Path) -> None:
    service = KeyService(tmp_path)
    assert service.status().initialized is False
    with pytest.raises(NotInitialized):
        service.wrap([(b"k" * 32, _person())])
    with pytest.raises(NotInitialized):
        service.submit_share(shamir.format_share(1, os.urandom(33)))
    with pytest.raises(NotInitialized):
        service.intake_recipient()


def test_service_notices_a_later_initialize(tmp_path: Path) -> None:
    service = KeyService(tmp_path)
    assert service.status().initialized is False
    initialize(tmp_path, shares=3, threshold=2)
    assert service.status().initialized is True


def test_fresh_service_is_sealed(instance: Instance, unsealed: KeyService) -> None:
    restarted = KeyService(instance.data_dir)
    status = restarted.status()
    assert (status.initialized, status.sealed, status.session_epoch) == (True, True, "")
    with pytest.raises(Sealed):
        restarted.unwrap([(b"x" * 40, _person())])


def test_two_shares_do_not_unseal(instance: Instance) -> None:
    service = KeyService(instance.data_dir)
    for share in instance.shares[:2]:
        status = service.submit_share(share)
    assert status.sealed is True
    assert status.shares_received == 2
    with pytest.raises(Sealed):
        service.sign_tree_head(0, treehead.EMPTY_ROOT, 0, treehead.EMPTY_ROOT, [], [])


def test_every_three_subset_unseals(instance: Instance) -> None:
    session_epochs = set()
    for subset in itertools.combinations(instance.shares, 3):
        service = KeyService(instance.data_dir)
        for share in subset:
            status = service.submit_share(share)
        assert status.sealed is False, subset
        assert status.shares_received == 0
        session_epochs.add(status.session_epoch)
    assert len(session_epochs) == 10
    assert "" not in session_epochs


def test_a_share_entered_twice_is_refused_clearly_and_counted_once(instance: Instance) -> None:
    service = KeyService(instance.data_dir)
    service.submit_share(instance.shares[0])
    with pytest.raises(ShareAlreadyEntered, match="already waiting; the shares already entered are kept"):
        service.submit_share(instance.shares[0].lower())
    assert service.status().shares_received == 1
    service.submit_share(instance.shares[1])
    assert service.submit_share(instance.shares[2]).sealed is False


def _share_of_other_instance(tmp_path: Path) -> str:
    return initialize(tmp_path / "other", shares=5, threshold=3)[0]


def _strip_commitments(data_dir: Path) -> None:
    """Make the keystore look like one created before share commitments existed."""
    path = keystore.keystore_path(data_dir)
    data = json.loads(path.read_bytes())
    del data["share_commitments"]
    path.write_text(json.dumps(data))


def _forged(x: int) -> str:
    """A well-formed share (right length, valid checksum) that was never issued."""
    return shamir.format_share(x, os.urandom(32) + bytes([x]))


def test_an_older_keystore_without_commitments_fails_with_the_same_message_whichever_share_is_wrong(
    instance: Instance, tmp_path: Path
) -> None:
    taken = {shamir.parse_share(s)[-1] for s in instance.shares}
    foreign = next(s for s in initialize(tmp_path / "other", 10, 3) if shamir.parse_share(s)[-1] not in taken)
    messages = set()
    for position in range(3):
        _strip_commitments(instance.data_dir)  # each successful unseal below records them
        shares = list(instance.shares[:3])
        shares[position] = foreign
        service = KeyService(instance.data_dir)
        with pytest.raises(UnsealFailed) as failure:
            for share in shares:
                service.submit_share(share)
        messages.add(str(failure.value))
        status = service.status()
        assert (status.sealed, status.shares_received) == (True, 0)
        # Progress was reset: the right shares now unseal from scratch.
        for share in instance.shares[2:5]:
            status = service.submit_share(share)
        assert status.sealed is False
    assert len(messages) == 1
    message = messages.pop()
    assert "progress has been reset" in message
    for share in [*instance.shares, foreign]:
        assert share.split(": ")[1] not in message


def test_a_forged_share_on_a_waiting_x_is_refused_and_keeps_the_progress(instance: Instance) -> None:
    part = shamir.parse_share(instance.shares[0])
    forged = bytes([part[0] ^ 1]) + part[1:]
    service = KeyService(instance.data_dir)
    service.submit_share(instance.shares[0])
    with pytest.raises(ShareNotIssued, match="not issued for this instance"):
        service.submit_share(shamir.format_share(9, forged))
    assert service.status().shares_received == 1
    service.submit_share(instance.shares[1])
    assert service.submit_share(instance.shares[2]).sealed is False


def test_without_commitments_a_conflicting_share_cannot_empty_the_pool(instance: Instance) -> None:
    _strip_commitments(instance.data_dir)
    part = shamir.parse_share(instance.shares[0])
    service = KeyService(instance.data_dir)
    service.submit_share(instance.shares[0])
    with pytest.raises(ShareAlreadyEntered):
        service.submit_share(shamir.format_share(9, bytes([part[0] ^ 1]) + part[1:]))
    assert service.status().shares_received == 1
    service.submit_share(instance.shares[1])
    assert service.submit_share(instance.shares[2]).sealed is False


def test_forged_shares_before_every_real_one_do_not_stop_three_trustees(instance: Instance, tmp_path: Path) -> None:
    real = [shamir.parse_share(s)[-1] for s in instance.shares[:3]]
    foreign = initialize(tmp_path / "other", 5, 3)
    # Forgeries on the very x coordinates of the real shares, on unused ones, and another
    # instance's genuine shares: none of them may join the pool or spoil the combination.
    attacks = [_forged(real[0]), _forged(real[1]), _forged(real[2]), _forged(0x100 - real[0]), *foreign]
    service = KeyService(instance.data_dir)
    received = []
    for position, share in enumerate(instance.shares[:3]):
        for attack in attacks[position::3]:
            with pytest.raises(ShareNotIssued) as refused:
                service.submit_share(attack)
            assert str(refused.value) == "this share was not issued for this instance; the shares already entered are kept"
            assert attack.split(": ")[1] not in str(refused.value)
        status = service.submit_share(share)
        received.append(status.shares_received)
    assert received == [1, 2, 0]
    assert status.sealed is False


def test_waiting_shares_expire_on_a_monotonic_clock(instance: Instance) -> None:
    now = [1000.0]
    service = KeyService(instance.data_dir, share_ttl_seconds=600, clock=lambda: now[0])
    service.submit_share(instance.shares[0])
    now[0] += 300
    service.submit_share(instance.shares[1])
    assert service.status().shares_received == 2
    now[0] += 300  # the first share has waited ten minutes: gone; the second stays
    assert service.status().shares_received == 1
    assert service.submit_share(instance.shares[2]).sealed is True
    service.submit_share(instance.shares[0])  # entered again, it counts again
    assert service.status().sealed is False


def test_reset_needs_an_issued_share_or_the_shell(instance: Instance) -> None:
    service = KeyService(instance.data_dir)
    service.submit_share(instance.shares[0])
    service.submit_share(instance.shares[1])
    for forged in (_forged(shamir.parse_share(instance.shares[0])[-1]), _forged(7)):
        with pytest.raises(ShareNotIssued):
            service.reset_unseal(forged)
    with pytest.raises(ShareFormatError):
        service.reset_unseal(typo(instance.shares[3]))
    assert service.status().shares_received == 2
    # A trustee's share resets and counts as the first of the new round.
    assert service.reset_unseal(instance.shares[3]).shares_received == 1
    service.submit_share(instance.shares[0])
    assert service.submit_share(instance.shares[1]).sealed is False


def test_an_older_keystore_cannot_reset_with_a_share(instance: Instance) -> None:
    _strip_commitments(instance.data_dir)
    service = KeyService(instance.data_dir)
    service.submit_share(instance.shares[0])
    with pytest.raises(SharesUnverifiable, match="corridor unseal --reset"):
        service.reset_unseal(instance.shares[1])
    assert service.status().shares_received == 1
    assert service.reset_unseal().shares_received == 0


def test_an_older_keystore_gets_commitments_at_its_next_unseal(instance: Instance) -> None:
    issued = {shamir.parse_share(s)[-1]: shamir.parse_share(s) for s in instance.shares}
    before = keystore.load(instance.data_dir)
    assert before is not None
    assert before.share_commitments == {x: share_commitment(before.instance_id, p) for x, p in issued.items()}
    _strip_commitments(instance.data_dir)
    service = KeyService(instance.data_dir)
    for share in instance.shares[1:4]:
        status = service.submit_share(share)
    assert status.sealed is False
    after = keystore.load(instance.data_dir)
    assert after is not None
    assert sorted(after.share_commitments) == list(range(1, 256))
    for x, part in issued.items():
        assert after.share_commitments[x] == share_commitment(after.instance_id, part)
    # From now on a forgery is refused on its own, and the untouched shares still unseal.
    restarted = KeyService(instance.data_dir)
    with pytest.raises(ShareNotIssued):
        restarted.submit_share(_forged(shamir.parse_share(instance.shares[0])[-1]))
    for share in (instance.shares[0], instance.shares[4], instance.shares[2]):
        status = restarted.submit_share(share)
    assert status.sealed is False


def test_share_commitments_are_bound_to_the_instance(instance: Instance) -> None:
    part = shamir.parse_share(instance.shares[0])
    assert share_commitment("a" * 32, part) != share_commitment("b" * 32, part)
    assert len(share_commitment("a" * 32, part)) == 32


def test_mistyped_share_keeps_progress(instance: Instance) -> None:
    service = KeyService(instance.data_dir)
    service.submit_share(instance.shares[0])
    with pytest.raises(ShareFormatError, match="checksum"):
        service.submit_share(typo(instance.shares[1]))
    with pytest.raises(ShareFormatError, match="does not belong"):
        service.submit_share(shamir.format_share(1, os.urandom(20)))
    assert service.status().shares_received == 1


def test_reset_unseal(instance: Instance) -> None:
    service = KeyService(instance.data_dir)
    service.submit_share(instance.shares[0])
    service.submit_share(instance.shares[1])
    assert service.reset_unseal().shares_received == 0
    assert service.status().shares_received == 0
    service.submit_share(instance.shares[2])
    assert service.status().sealed is True


def test_wrap_unwrap_bound_to_context(unsealed: KeyService) -> None:
    key = crypto.random_key()
    (wrapped,) = unsealed.wrap([(key, _person(1))])
    assert wrapped[:4] == (1).to_bytes(4, "big")
    assert key not in wrapped
    assert unsealed.unwrap([(wrapped, _person(1))]) == [key]
    with pytest.raises(DecryptionError):
        unsealed.unwrap([(wrapped, _person(2))])  # moved to another row
    with pytest.raises(DecryptionError):
        unsealed.unwrap([(wrapped[:-1] + bytes([wrapped[-1] ^ 1]), _person(1))])
    with pytest.raises(DecryptionError):
        unsealed.unwrap([(b"\x00\x00", _person(1))])


def test_field_ciphertext_moved_to_another_row_fails(unsealed: KeyService) -> None:
    # How the layers above use a data key: the AAD names table|column|pk|key version.
    ((data_key, _wrapped),) = unsealed.generate_data_keys([_person(1)])
    blob = crypto.encrypt(data_key, b"Ivan", b"cases_person|name|1|1")
    assert crypto.decrypt(data_key, blob, b"cases_person|name|1|1") == b"Ivan"
    with pytest.raises(DecryptionError):
        crypto.decrypt(data_key, blob, b"cases_person|name|2|1")


def test_generate_data_keys(unsealed: KeyService) -> None:
    pairs = unsealed.generate_data_keys([_person(1), _person(2)])
    assert len({key for key, _ in pairs}) == 2
    assert unsealed.unwrap([(w, _person(n)) for n, (_, w) in enumerate(pairs, 1)]) == [key for key, _ in pairs]


def test_unseal_survives_restart(instance: Instance, unsealed: KeyService) -> None:
    key = crypto.random_key()
    (wrapped,) = unsealed.wrap([(key, _person())])
    restarted = KeyService(instance.data_dir)
    for share in instance.shares[2:]:
        restarted.submit_share(share)
    assert restarted.unwrap([(wrapped, _person())]) == [key]


def test_rotate_and_rewrap(instance: Instance, unsealed: KeyService) -> None:
    key = crypto.random_key()
    (old,) = unsealed.wrap([(key, _person())])
    assert unsealed.rotate() == 2
    assert unsealed.status().current_epoch == 2
    (new,) = unsealed.rewrap([(old, _person())])
    assert new[:4] == (2).to_bytes(4, "big")
    assert unsealed.unwrap([(old, _person()), (new, _person())]) == [key, key]
    with pytest.raises(DecryptionError):
        unsealed.rewrap([(old, _person(2))])
    # Persisted: a restarted service knows epoch 2 is current.
    restarted = KeyService(instance.data_dir)
    for share in instance.shares[:3]:
        restarted.submit_share(share)
    assert restarted.status().current_epoch == 2
    assert restarted.unwrap([(new, _person())]) == [key]


def test_destroy_epoch_makes_old_blobs_unrecoverable(instance: Instance, unsealed: KeyService) -> None:
    key = crypto.random_key()
    (old,) = unsealed.wrap([(key, _person())])
    with pytest.raises(ValueError, match="current epoch cannot be retired"):
        unsealed.retire_epoch(1)
    unsealed.rotate()
    with pytest.raises(ValueError, match="only a retired"):
        unsealed.destroy_epoch(1)
    unsealed.retire_epoch(1)
    assert unsealed.unwrap([(old, _person())]) == [key]  # retired still unwraps
    assert [(e.version, e.retired is not None, e.current) for e in unsealed.epochs()] == [
        (1, True, False),
        (2, False, True),
    ]
    unsealed.destroy_epoch(1)
    with pytest.raises(UnknownEpoch):
        unsealed.unwrap([(old, _person())])
    with pytest.raises(UnknownEpoch):
        unsealed.destroy_epoch(1)
    assert [e.version for e in unsealed.epochs()] == [2]
    assert list(json.loads(keystore.keystore_path(instance.data_dir).read_bytes())["epochs"]) == ["2"]
    restarted = KeyService(instance.data_dir)
    for share in instance.shares[1:4]:
        restarted.submit_share(share)
    with pytest.raises(UnknownEpoch):
        restarted.unwrap([(old, _person())])
    assert restarted.rotate() == 3


def test_sealed_operations_raise_sealed(instance: Instance, unsealed: KeyService) -> None:
    (wrapped,) = unsealed.wrap([(crypto.random_key(), _person())])
    unsealed.submit_share(instance.shares[0])  # ignored while unsealed
    unsealed.seal()
    status = unsealed.status()
    assert (status.sealed, status.session_epoch, status.shares_received) == (True, "", 0)
    calls: list[Callable[[], object]] = [
        lambda: unsealed.wrap([(b"k" * 32, _person())]),
        lambda: unsealed.unwrap([(wrapped, _person())]),
        lambda: unsealed.generate_data_keys([_person()]),
        lambda: unsealed.rewrap([(wrapped, _person())]),
        lambda: unsealed.rotate(),
        lambda: unsealed.retire_epoch(1),
        lambda: unsealed.destroy_epoch(1),
        lambda: unsealed.blind_index("person.name", ["ivan"], 16),
        lambda: unsealed.open_intake([b"x"]),
        lambda: unsealed.sign_tree_head(0, treehead.EMPTY_ROOT, 0, treehead.EMPTY_ROOT, [], []),
    ]
    for call in calls:
        with pytest.raises(Sealed):
            call()
    # Public halves and metadata stay available.
    assert unsealed.intake_recipient().startswith("age1")
    assert len(unsealed.signing_public_key()) == 32
    assert [e.version for e in unsealed.epochs()] == [1]


def test_seal_is_seen_by_other_threads_at_once(unsealed: KeyService) -> None:
    (wrapped,) = unsealed.wrap([(crypto.random_key(), _person())])
    results: list[str] = []
    sealed = threading.Event()

    def worker() -> None:
        sealed.wait()
        try:
            unsealed.unwrap([(wrapped, _person())])
            results.append("unwrapped")
        except Sealed:
            results.append("sealed")

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    unsealed.seal()
    sealed.set()
    for thread in threads:
        thread.join()
    assert results == ["sealed"] * 8


def test_session_epoch_changes_on_every_unseal(instance: Instance, unsealed: KeyService) -> None:
    first = unsealed.status().session_epoch
    unsealed.seal()
    for share in instance.shares[:3]:
        unsealed.submit_share(share)
    second = unsealed.status().session_epoch
    assert first != second
    assert len(second) >= 32


def test_blind_index(instance: Instance, unsealed: KeyService) -> None:
    a = unsealed.blind_index("person.name", ["ivan petrov", "ivan petrov", "oleg"], 32)
    assert [len(x) for x in a] == [4, 4, 4]
    assert a[0] == a[1] != a[2]
    assert unsealed.blind_index("person.phone", ["ivan petrov"], 32)[0] != a[0]
    root = _recover_root(instance)
    expected = crypto.blind_index(crypto.hkdf(root, b"corridor/v1/blind-index/person.name"), "ivan petrov", 32)
    assert a[0] == expected
    with pytest.raises(ValueError):
        unsealed.blind_index("person.name", ["x"], 12)


def test_intake_works_while_sealed_and_opens_when_unsealed(instance: Instance, unsealed: KeyService) -> None:
    sealed = KeyService(instance.data_dir)
    recipient = sealed.intake_recipient()
    message = crypto.age_encrypt(recipient, "Мне нужна помощь".encode())
    with pytest.raises(Sealed):
        sealed.open_intake([message])
    assert unsealed.open_intake([message]) == ["Мне нужна помощь".encode()]
    with pytest.raises(DecryptionError):
        unsealed.open_intake([b"garbage"])


def test_signing(instance: Instance, unsealed: KeyService) -> None:
    public = KeyService(instance.data_dir).signing_public_key()
    root = treehead.node_hash(b"\x00" * 32, b"\x01" * 32)
    head = unsealed.sign_tree_head(0, treehead.EMPTY_ROOT, 2, root, [], [root])
    assert crypto.verify(public, head.signature, head.message()) is True
    assert head.message().startswith(f"corridor.audit.checkpoint/1\nsize 2\nroot {root.hex()}\n".encode())
    assert crypto.verify(public, head.signature, head.message().replace(b"size 2", b"size 3")) is False


def test_swapped_wrapped_items_fail_to_unseal(instance: Instance) -> None:
    # A keystore edited to put the signing key in the intake slot does not open.
    path = keystore.keystore_path(instance.data_dir)
    data = json.loads(path.read_bytes())
    data["intake_identity"], data["signing_key"] = data["signing_key"], data["intake_identity"]
    path.write_text(json.dumps(data))
    service = KeyService(instance.data_dir)
    with pytest.raises(UnsealFailed):
        for share in instance.shares[:3]:
            service.submit_share(share)


def test_a_swapped_intake_recipient_in_the_keystore_refuses_to_unseal(instance: Instance) -> None:
    """An insider who edits keystore.json to redirect requests for help is caught at unseal."""
    import json

    from corridor.keys import crypto
    from corridor.keys.errors import KeystoreTampered

    path = instance.data_dir / "keys" / "keystore.json"
    data = json.loads(path.read_text())
    _identity, attacker_recipient = crypto.generate_age_identity()
    data["intake_recipient"] = attacker_recipient
    path.write_text(json.dumps(data))
    service = KeyService(instance.data_dir)
    with pytest.raises(KeystoreTampered):
        for share in instance.shares[:3]:
            service.submit_share(share)
    assert service.status().sealed


def test_epochs_cannot_be_destroyed_inside_the_backup_window(instance: Instance) -> None:
    service = KeyService(instance.data_dir, min_retired_days=35)
    for share in instance.shares[:3]:
        service.submit_share(share)
    service.rotate()
    service.retire_epoch(1)
    with pytest.raises(ValueError, match="backup-retention window"):
        service.destroy_epoch(1)
    assert 1 in {epoch.version for epoch in service.epochs()}


def test_address_tags_cannot_be_enumerated_faster_than_the_budget(tmp_path: Path) -> None:
    """Code in a web worker asking for every address's tag is held to the budget per second."""
    from corridor.keys.errors import TooManyRequests
    from corridor.keys.service import ADDRESS_TAGS_PER_SECOND

    now = [1000.0]
    service = KeyService(tmp_path, clock=lambda: now[0])
    addresses = [f"198.51.100.{n % 256}" for n in range(ADDRESS_TAGS_PER_SECOND)]
    assert len(service.address_tags(addresses)) == ADDRESS_TAGS_PER_SECOND
    with pytest.raises(TooManyRequests):
        service.address_tags(["198.51.100.1"])
    now[0] += 0.25  # a quarter of a second refills a quarter of the budget
    assert len(service.address_tags(addresses[: ADDRESS_TAGS_PER_SECOND // 4])) == ADDRESS_TAGS_PER_SECOND // 4
    with pytest.raises(TooManyRequests):
        service.address_tags(["198.51.100.1"])
    now[0] += 3600  # the budget refills, never beyond one second's worth
    assert len(service.address_tags(addresses)) == ADDRESS_TAGS_PER_SECOND
    with pytest.raises(TooManyRequests):
        service.address_tags(["198.51.100.1"])
