"""A small per-process pool of passphrases whose keys were derived ahead of time, so that a
request for help does not wait for argon2id; kept in memory only, and only while unsealed.

Why it exists: argon2id at the production cost (m=19 MiB, t=2) is about half of a submission's
time. A thread of each web worker keeps up to `size` passphrases derived; `submit` takes one (or,
when the pool is empty, derives inline as before). argon2-cffi releases the GIL while it hashes,
so the thread derives on a core the worker's requests are not using: a `take` wakes it at once,
and it runs at the requests' own priority, because what it computes is a request's own work done
early (at nice 19 it got no CPU whenever anything else on the machine was busy, which is exactly
when it is needed). It costs no extra CPU: every entry is handed to a request, except those
thrown away after `max_age` or at a seal (at most `size` per worker per `max_age`).

How small it can be: one person sending back to back takes a passphrase every t_h (a submission
without the KDF, ~25 ms) and the thread makes one every K (~60-85 ms). Once the pool runs dry a
miss derives inline while the thread derives too, so the share of hits settles at
(t_h + K) / 2K, above one half whatever `size` is; `size` only absorbs the start of a burst
(about size * K / (K - t_h) hits in a row). Several people at once (all cores busy) drain any
pool: a pool moves CPU in time, it does not make any.

What a seizure of the running server learns from it (also in docs/operators/intake.md):

- The pool holds only passphrases NOT yet handed out, with their derived keys (lookup tag and
  age identity). They belong to no one: `take` removes an entry before its passphrase is shown
  to anyone, under a lock, so a passphrase is handed out once and is never in the pool after.
  Nothing about requests already sent can be learned from it that a memory dump of today's code
  (which holds the passphrase of the request it is answering) would not show.
- The pool fills only while the instance is unsealed, and is emptied when the instance seals:
  at once in the worker where a lockdown is pressed (keys' on_seal callback), and in every other
  worker at its thread's next look, which asks the key service within `TICK_SECONDS` of the last
  one or, while it fills, after the derivation under way (one argon2id run, ~20-100 ms) (so
  `corridor seal` and a restart of keyd count too); a derivation under way is thrown away. A memory
  dump that finds a full pool therefore finds an unsealed keyd beside it, whose intake identity
  opens every request and whose root key opens everything else: the pool adds nothing to that.
  A sealed server (after a lockdown, or any restart) has an empty pool.
- What the pool does add: someone who secretly copies a live, unsealed server's memory and lets
  it run on could later recognise the next few requests' passphrases (up to `size` per worker).
  Entries older than `max_age` are thrown away and derived again, so a copy is of no use for
  requests sent more than `max_age` after it. With the intake identity from the same copy they
  could read those requests anyway.
- Nothing of the pool is written anywhere: no database row, file or log line (the seizure test
  fills a pool, plants a request and searches every byte at rest for every pooled passphrase
  and key). Web workers lock their memory where the machine allows (corridor.web.worker), so it
  is not swapped out. Python cannot wipe a string: an entry dropped stays in freed memory of the
  live process until it is reused, like every passphrase a worker has shown.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque
from dataclasses import dataclass, field

from corridor.intake import conf, passphrases
from corridor.keys import api as keys_api

log = logging.getLogger(__name__)

# How often the thread asks the key service whether the instance is sealed: a lockdown (here or
# from another process) empties every worker's pool within this, well inside invariant 4's second.
TICK_SECONDS = 0.25


@dataclass(frozen=True)
class Ready:
    """One passphrase and its keys, derived under `salt` and `params` at `made` (monotonic)."""

    passphrase: str = field(repr=False)
    keys: keys_api.DerivedKeys = field(repr=False)
    salt: bytes = field(repr=False)
    params: keys_api.Argon2Params
    words: int
    made: float

    def fits(self, salt: bytes, params: keys_api.Argon2Params, words: int, now: float, max_age: float) -> bool:
        return (self.salt, self.params, self.words) == (salt, params, words) and now - self.made <= max_age


class Pool:
    """Bounded, thread-safe; one per process (see `pool()`). Nothing here touches the database."""

    def __init__(self, size: int, max_age: float) -> None:
        self.size = size
        self.max_age = max_age
        self._lock = threading.Lock()
        self._ready: deque[Ready] = deque()
        # Bumped on every drop: a derivation started before the drop is never added after it.
        self._generation = 0
        # What the last request used; the thread derives nothing until a request has said it.
        self._salt: bytes | None = None
        self._params: keys_api.Argon2Params | None = None
        self._words = 0
        self._open = False  # the instance was unsealed at the last look
        self._stop = threading.Event()
        # Set by `take` (and `stop`): the thread refills at once instead of at its next tick.
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._pid = os.getpid()

    # -- the request side ------------------------------------------------------------------

    def take(self, salt: bytes, params: keys_api.Argon2Params, words: int) -> Ready | None:
        """A ready passphrase for these settings, removed from the pool; None when empty.

        Also tells the thread which salt and settings to derive for next.
        """
        self._after_fork()
        now = time.monotonic()
        with self._lock:
            self._salt, self._params, self._words = salt, params, words
            found = None
            while self._ready and found is None:
                entry = self._ready.popleft()
                if entry.fits(salt, params, words, now, self.max_age):
                    found = entry
        self._wake.set()  # room now (or settings just learnt): derive the next one while this request runs
        return found

    def drop(self) -> int:
        """Forget every entry (and any derivation under way); returns how many there were."""
        with self._lock:
            count = len(self._ready)
            self._ready.clear()
            self._generation += 1
            return count

    def __len__(self) -> int:
        with self._lock:
            return len(self._ready)

    # -- the thread's side -----------------------------------------------------------------

    def look(self) -> bool:
        """Ask the key service; drop everything if sealed (or unreachable). True when unsealed."""
        try:
            unsealed = not keys_api.is_sealed()
        except Exception:  # a key service that cannot answer is treated as sealed: fail closed
            unsealed = False
        with self._lock:
            self._open = unsealed
        if not unsealed:
            self.drop()
        return unsealed

    def expire(self) -> None:
        now = time.monotonic()
        with self._lock:
            while self._ready and now - self._ready[0].made > self.max_age:
                self._ready.popleft()

    def fill_one(self) -> bool:
        """Derive one passphrase and add it, if unsealed at the last look, known settings and room."""
        with self._lock:
            if not self._open or self._salt is None or self._params is None or len(self._ready) >= self.size:
                return False
            generation, salt, params, words = self._generation, self._salt, self._params, self._words
        passphrase = passphrases.generate(words)
        keys = keys_api.derive(passphrase, salt, params)
        if not self.look():  # sealed while deriving: the result is thrown away with the rest
            return False
        with self._lock:
            if generation != self._generation or len(self._ready) >= self.size:
                return False
            self._ready.append(Ready(passphrase, keys, salt, params, words, time.monotonic()))
            return True

    def tick(self) -> None:
        """One round of the thread: look at the seal, expire old entries, fill up while unsealed."""
        if not self.look():
            return
        self.expire()
        while not self._stop.is_set() and self.fill_one():
            pass

    def start(self) -> None:
        """Start this process's filling thread (once); a daemon, so it never holds a worker's exit."""
        self._after_fork()
        with self._lock:
            if self.size <= 0 or (self._thread is not None and self._thread.is_alive()):
                return
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="intake-passphrase-pool", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        self._thread = None
        self.drop()

    def _run(self) -> None:
        while not self._stop.is_set():
            # Cleared before the round: a take during it (or after its last fill) is not lost.
            self._wake.clear()
            try:
                self.tick()
            except Exception:  # never a secret in the message: derive() and is_sealed() raise none
                self.drop()
                log.exception("intake passphrase pool: a round failed; the pool was emptied")
            # A take wakes the thread at once; otherwise it still looks at the seal every tick.
            self._wake.wait(TICK_SECONDS)

    def _after_fork(self) -> None:
        # A pool copied into a forked child would hand the parent's passphrases out twice.
        if self._pid != os.getpid():
            self._pid = os.getpid()
            self._lock = threading.Lock()
            self._wake = threading.Event()
            self._ready.clear()
            self._generation += 1
            self._thread = None


_pool: Pool | None = None
_pool_lock = threading.Lock()


def pool() -> Pool:
    """This process's pool, sized from the settings (INTAKE_PASSPHRASE_POOL, 0 turns it off)."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = Pool(conf.passphrase_pool_size(), conf.passphrase_pool_max_age())
        return _pool


def reset_for_tests() -> None:
    global _pool
    with _pool_lock:
        if _pool is not None:
            _pool.stop()
        _pool = None


def _drop_on_lockdown() -> None:
    # A lockdown in this worker empties its pool at once; other workers' threads see the seal
    # within TICK_SECONDS.
    if _pool is not None:
        _pool.drop()


keys_api.on_seal(_drop_on_lockdown)


def _forget_in_child() -> None:
    if _pool is not None:
        _pool._after_fork()


os.register_at_fork(after_in_child=_forget_in_child)
