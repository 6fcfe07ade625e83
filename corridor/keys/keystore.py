"""The on-disk keystore: wrapped keys and public halves in `<data_dir>/keys/keystore.json`.

It never holds the root key or any unwrapped key; a copy of it is useless without k shares.
"""

from __future__ import annotations

import base64
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from corridor.keys.errors import KeyringError

FORMAT_VERSION = 1


@dataclass
class EpochRecord:
    """One KEK epoch: the KEK wrapped under the root, and its lifecycle dates."""

    wrapped: bytes
    created: str
    retired: str | None = None


@dataclass
class Keystore:
    """Everything keyd persists. Bytes are stored as base64."""

    instance_id: str
    shares_total: int
    threshold: int
    check: bytes
    epochs: dict[int, EpochRecord]
    current_epoch: int
    intake_identity: bytes
    intake_recipient: str
    signing_key: bytes
    signing_public_key: bytes
    created: str
    format: int = field(default=FORMAT_VERSION)
    # x coordinate -> commitment to the share issued at that x (see service.share_commitment).
    # Empty in keystores made before commitments existed; filled in at their next unseal.
    share_commitments: dict[int, bytes] = field(default_factory=dict)


def keystore_path(data_dir: Path) -> Path:
    return data_dir / "keys" / "keystore.json"


def exists(data_dir: Path) -> bool:
    return keystore_path(data_dir).exists()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(value: Any) -> bytes:
    if not isinstance(value, str):
        raise TypeError("expected base64 text")
    return base64.b64decode(value, validate=True)


def _to_json(store: Keystore) -> dict[str, Any]:
    return {
        "format": store.format,
        "instance_id": store.instance_id,
        "shares_total": store.shares_total,
        "threshold": store.threshold,
        "check": _b64(store.check),
        "epochs": {
            str(version): {
                "wrapped": _b64(epoch.wrapped),
                "created": epoch.created,
                "retired": epoch.retired,
            }
            for version, epoch in sorted(store.epochs.items())
        },
        "current_epoch": store.current_epoch,
        "intake_identity": _b64(store.intake_identity),
        "intake_recipient": store.intake_recipient,
        "signing_key": _b64(store.signing_key),
        "signing_public_key": _b64(store.signing_public_key),
        "created": store.created,
        "share_commitments": {str(x): _b64(c) for x, c in sorted(store.share_commitments.items())},
    }


def _from_json(data: dict[str, Any]) -> Keystore:
    if data.get("format") != FORMAT_VERSION:
        raise KeyringError(f"unsupported keystore format: {data.get('format')!r}")
    return Keystore(
        instance_id=str(data["instance_id"]),
        shares_total=int(data["shares_total"]),
        threshold=int(data["threshold"]),
        check=_unb64(data["check"]),
        epochs={
            int(version): EpochRecord(
                wrapped=_unb64(epoch["wrapped"]),
                created=str(epoch["created"]),
                retired=None if epoch["retired"] is None else str(epoch["retired"]),
            )
            for version, epoch in data["epochs"].items()
        },
        current_epoch=int(data["current_epoch"]),
        intake_identity=_unb64(data["intake_identity"]),
        intake_recipient=str(data["intake_recipient"]),
        signing_key=_unb64(data["signing_key"]),
        signing_public_key=_unb64(data["signing_public_key"]),
        created=str(data["created"]),
        share_commitments={int(x): _unb64(c) for x, c in data.get("share_commitments", {}).items()},
    )


def parse(raw: bytes) -> Keystore:
    """A keystore from its file's bytes (a backup's copy); ValueError, KeyError or TypeError
    when it is not one, KeyringError when its format is unknown."""
    return _from_json(json.loads(raw))


def load(data_dir: Path) -> Keystore | None:
    """Read the keystore; None when the instance was never initialised."""
    path = keystore_path(data_dir)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    try:
        return _from_json(json.loads(raw))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise KeyringError(f"the keystore at {path} is damaged: {type(exc).__name__}") from None


def save(data_dir: Path, store: Keystore, *, create: bool = False) -> None:
    """Write atomically: a crash leaves either the old or the new keystore, never half.

    With create=True the write fails with FileExistsError if a keystore already exists,
    so two concurrent initialisations cannot overwrite each other.
    """
    directory = keystore_path(data_dir).parent
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(directory, 0o700)
    payload = json.dumps(_to_json(store), indent=2, sort_keys=True).encode("utf-8")
    write_atomically(keystore_path(data_dir), payload, create=create)


def write_atomically(path: Path, payload: bytes, *, create: bool = False) -> None:
    """Write a file of keyd's so that a crash leaves the old content or the new, never half.

    With create=True it fails with FileExistsError if the file exists already.
    """
    directory = path.parent
    # mkstemp creates the file 0600, so it is never readable by others, even briefly.
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as tmp:
            tmp.write(payload)
            tmp.flush()
            os.fsync(tmp.fileno())
        if create:
            # link() refuses to overwrite, unlike replace().
            os.link(tmp_name, path)
        else:
            os.replace(tmp_name, path)
    finally:
        Path(tmp_name).unlink(missing_ok=True)
    # The rename is durable only once the directory entry itself is on disk.
    dir_fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
