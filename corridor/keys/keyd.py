"""The key service process: serves a KeyService on a Unix socket to the allowed users only.

Run as `python -m corridor.keys.keyd --data-dir DIR --socket PATH`; it always starts sealed.
Peers are checked by their kernel-reported uid: keyd's own user by default, or the users
listed in CORRIDOR_KEYD_ALLOW_USERS (the web server's user when keyd runs as its own user).
"""

from __future__ import annotations

import argparse
import os
import pwd
import signal
import socket
import socketserver
import stat
import struct
import sys
import threading
from collections.abc import Callable, Collection
from pathlib import Path
from types import FrameType
from typing import Any

from corridor.keys import wire
from corridor.keys.errors import WIRE_ERRORS
from corridor.keys.hardening import harden_process
from corridor.keys.service import DEFAULT_SHARE_TTL_SECONDS, KeyService

_UCRED = struct.Struct("3i")  # struct ucred { pid_t pid; uid_t uid; gid_t gid; }

Handler = Callable[[KeyService, dict[str, Any]], Any]


def _reset_unseal(service: KeyService, args: dict[str, Any]) -> Any:
    share = args.get("share")
    status = service.reset_unseal(None if share is None else wire.as_str(share))
    # The web app audits every reset in its database; this line is a second trace that
    # code in a web worker cannot rewrite. It says how the reset was allowed, nothing more.
    if status.sealed:
        how = "with an issued share" if share is not None else "without a share"
        print(f"keyd: unseal progress reset ({how})", file=sys.stderr, flush=True)
    return wire.status_to_json(status)


OPS: dict[str, Handler] = {
    "status": lambda s, a: wire.status_to_json(s.status()),
    "submit_share": lambda s, a: wire.status_to_json(s.submit_share(wire.as_str(a["text"]))),
    "reset_unseal": lambda s, a: _reset_unseal(s, a),
    "seal": lambda s, a: s.seal(),
    "wrap": lambda s, a: [wire.b64e(b) for b in s.wrap(wire.decode_items(a["items"]))],
    "unwrap": lambda s, a: [wire.b64e(b) for b in s.unwrap(wire.decode_items(a["items"]))],
    "generate_data_keys": lambda s, a: [
        [wire.b64e(key), wire.b64e(wrapped)]
        for key, wrapped in s.generate_data_keys([wire.as_str(c) for c in wire.as_batch(a["contexts"])])
    ],
    "rewrap": lambda s, a: [wire.b64e(b) for b in s.rewrap(wire.decode_items(a["items"]))],
    "rotate": lambda s, a: s.rotate(),
    "retire_epoch": lambda s, a: s.retire_epoch(wire.as_int(a["version"])),
    "destroy_epoch": lambda s, a: s.destroy_epoch(wire.as_int(a["version"])),
    "epochs": lambda s, a: [wire.epoch_to_json(e) for e in s.epochs()],
    "blind_index": lambda s, a: [
        wire.b64e(b)
        for b in s.blind_index(
            wire.as_str(a["index"]),
            [wire.as_str(v) for v in wire.as_batch(a["values"])],
            wire.as_int(a["bits"]),
        )
    ],
    "intake_recipient": lambda s, a: s.intake_recipient(),
    "open_intake": lambda s, a: [wire.b64e(b) for b in s.open_intake([wire.b64d(c) for c in wire.as_batch(a["ciphertexts"])])],
    "tree_head": lambda s, a: None if (head := s.tree_head()) is None else head.to_json(),
    "sign_tree_head": lambda s, a: s.sign_tree_head(
        wire.as_int(a["old_size"]),
        wire.b64d(a["old_root"]),
        wire.as_int(a["new_size"]),
        wire.b64d(a["new_root"]),
        [wire.b64d(p) for p in wire.as_batch(a["proof"])],
        [wire.b64d(f) for f in wire.as_batch(a["frontier"])],
    ).to_json(),
    "signing_public_key": lambda s, a: wire.b64e(s.signing_public_key()),
    "referral_recipient": lambda s, a: s.referral_recipient(),
    "open_referral": lambda s, a: wire.b64e(s.open_referral(wire.b64d(a["ciphertext"]))),
    "sign_referral": lambda s, a: wire.b64e(s.sign_referral(wire.b64d(a["digest"]))),
    "address_tags": lambda s, a: s.address_tags([wire.as_str(v) for v in wire.as_batch(a["addresses"])]),
}


def peer_uid(sock: socket.socket) -> int:
    """The uid of the process at the other end of a Unix socket (Linux SO_PEERCRED)."""
    raw = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _UCRED.size)
    _pid, uid, _gid = _UCRED.unpack(raw)
    return int(uid)


ALLOW_USERS_ENV = "CORRIDOR_KEYD_ALLOW_USERS"


def allowed_uids(spec: str | None, own_uid: int) -> frozenset[int]:
    """The uids keyd answers: its own by default, else the listed user names or uids.

    The list replaces the default: keyd running as `corridor-keyd` with
    CORRIDOR_KEYD_ALLOW_USERS=corridor-web answers the web server's user and nobody else.
    """
    if spec is None or not spec.strip():
        return frozenset({own_uid})
    uids = set()
    for item in (part.strip() for part in spec.split(",")):
        if not item:
            continue
        if item.isdigit():
            uids.add(int(item))
            continue
        try:
            uids.add(pwd.getpwnam(item).pw_uid)
        except KeyError:
            raise ValueError(f"{ALLOW_USERS_ENV}: no such user {item!r}") from None
    if not uids:
        raise ValueError(f"{ALLOW_USERS_ENV} names no user")
    return frozenset(uids)


def peer_allowed(uid: int, allowed: Collection[int]) -> bool:
    """Only processes of the allowed users may talk to keyd; root is not special."""
    return uid in allowed


def dispatch(service: KeyService, request: dict[str, Any]) -> dict[str, Any]:
    """Run one request; every failure becomes an error reply naming the exception class."""
    op = request.get("op")
    args = request.get("args", {})
    handler = OPS.get(op) if isinstance(op, str) else None
    if handler is None or not isinstance(args, dict):
        return {"ok": False, "error": "ValueError", "message": f"unknown operation {op!r}"}
    try:
        return {"ok": True, "result": handler(service, args)}
    except KeyError as exc:
        return {"ok": False, "error": "ValueError", "message": f"missing argument {exc}"}
    except TypeError as exc:
        return {"ok": False, "error": "ValueError", "message": f"bad request: {exc}"}
    except Exception as exc:  # noqa: BLE001 - one bad request must not kill the connection
        name = type(exc).__name__
        if WIRE_ERRORS.get(name) is type(exc):
            return {"ok": False, "error": name, "message": str(exc)}
        # Unexpected errors may carry data in their message; send and log the class only.
        print(f"keyd: internal error in {op}: {name}", file=sys.stderr)
        return {"ok": False, "error": "KeyringError", "message": "internal error in keyd"}


class _RequestHandler(socketserver.StreamRequestHandler):
    server: KeydServer

    def handle(self) -> None:
        # Persistent connection: serve requests until the client hangs up.
        while True:
            try:
                request = wire.read_frame(self.rfile)
            except (wire.FrameError, OSError):
                return
            if request is None:
                return
            reply = dispatch(self.server.service, request)
            try:
                frame = wire.encode_frame(reply)
            except ValueError as exc:
                frame = wire.encode_frame({"ok": False, "error": "ValueError", "message": str(exc)})
            try:
                self.wfile.write(frame)
            except OSError:
                return


class KeydServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    block_on_close = False
    # Every web worker thread opens its own connection; the default backlog of 5 makes
    # a burst of them fail with EAGAIN.
    request_queue_size = socket.SOMAXCONN

    def __init__(self, socket_path: Path, service: KeyService, allowed: Collection[int] | None = None) -> None:
        self.service = service
        self.allowed = frozenset({os.geteuid()}) if allowed is None else frozenset(allowed)
        super().__init__(str(socket_path), _RequestHandler)

    def verify_request(self, request: Any, client_address: Any) -> bool:
        try:
            uid = peer_uid(request)
        except OSError:
            return False
        if not peer_allowed(uid, self.allowed):
            print(f"keyd: refused a connection from uid {uid}", file=sys.stderr)
            return False
        return True


def _prepare_socket_dir(socket_path: Path, *, shared: bool = False) -> None:
    """`shared`: other users may connect (then checked by uid), so they may enter the directory."""
    directory = socket_path.parent
    mode = 0o711 if shared else 0o700
    if not directory.exists():
        directory.mkdir(mode=mode, parents=True)
        os.chmod(directory, mode)
    info = directory.stat()
    # Refuse rather than chmod: the directory may be shared (think /tmp). Nobody else may
    # ever write in it, or they could put their own socket in keyd's place.
    if info.st_uid != os.geteuid() or info.st_mode & (0o022 if shared else 0o077):
        raise SystemExit(
            f"keyd: {directory} must be owned by this user and have mode {mode:04o} "
            f"(is {stat.filemode(info.st_mode)}, uid {info.st_uid})"
        )
    if socket_path.exists() or socket_path.is_symlink():
        if not stat.S_ISSOCK(socket_path.lstat().st_mode):
            raise SystemExit(f"keyd: {socket_path} exists and is not a socket")
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            probe.connect(str(socket_path))
        except OSError:
            socket_path.unlink()  # stale socket of a keyd that died
        else:
            raise SystemExit(f"keyd: another key service is listening on {socket_path}")
        finally:
            probe.close()


def serve(
    data_dir: Path,
    socket_path: Path,
    ready: threading.Event | None = None,
    *,
    min_retired_days: float = 35,
    share_ttl_seconds: float = DEFAULT_SHARE_TTL_SECONDS,
) -> None:
    """Serve until SIGTERM or SIGINT, then seal and remove the socket."""
    # Lock pages as they are touched (MCL_ONFAULT): every page holding a key is locked all the
    # same, but each connection's thread no longer pins its whole stack and malloc arena.
    for failure in harden_process(lock_on_fault=True):
        print(f"keyd: hardening incomplete: {failure}", file=sys.stderr)
    # Holds no keys until trustees unseal it.
    service = KeyService(data_dir, min_retired_days=min_retired_days, share_ttl_seconds=share_ttl_seconds)
    try:
        allowed = allowed_uids(os.environ.get(ALLOW_USERS_ENV), os.geteuid())
    except ValueError as exc:
        raise SystemExit(f"keyd: {exc}") from None
    # Another user (the web server's) must be able to open the socket; the kernel-reported
    # uid of every connection is what admits it, so the socket mode is not the gate then.
    shared = allowed != {os.geteuid()}
    _prepare_socket_dir(socket_path, shared=shared)
    old_umask = os.umask(0o177)  # the socket is born 0600; no window where it is wider
    try:
        server = KeydServer(socket_path, service, allowed)
    finally:
        os.umask(old_umask)
    os.chmod(socket_path, 0o666 if shared else 0o600)
    if shared:
        print(f"keyd: answering uids {', '.join(map(str, sorted(allowed)))} only", file=sys.stderr, flush=True)

    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    # serve_forever runs in a thread because shutdown() must be called from another one.
    loop = threading.Thread(target=server.serve_forever, name="keyd-accept", daemon=True)
    loop.start()
    print(f"keyd: listening on {socket_path} (sealed)", file=sys.stderr, flush=True)
    if ready is not None:
        ready.set()
    try:
        while not stop.wait(0.5):
            pass
    finally:
        service.seal()
        server.shutdown()
        server.server_close()
        socket_path.unlink(missing_ok=True)
        print("keyd: stopped", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="keyd", description="Corridor key service")
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--socket", type=Path, required=True)
    parser.add_argument(
        "--min-retired-days", type=float, default=35, help="backup-retention window before an epoch may be destroyed"
    )
    parser.add_argument(
        "--share-ttl-seconds",
        type=float,
        default=DEFAULT_SHARE_TTL_SECONDS,
        help="how long an entered unseal share waits for the others before it is forgotten",
    )
    args = parser.parse_args(argv)
    if args.share_ttl_seconds <= 0:
        parser.error("--share-ttl-seconds must be positive")
    serve(args.data_dir, args.socket, min_retired_days=args.min_retired_days, share_ttl_seconds=args.share_ttl_seconds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
