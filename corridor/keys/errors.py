"""Exceptions raised by the keyring, in process or across the keyd socket.

The names are part of the wire protocol: keyd sends the class name, the client maps it back.
"""


class KeyringError(Exception):
    """Base class for every keyring failure."""


class Sealed(KeyringError):
    """The key service holds no keys; trustees must unseal it first."""


class NotInitialized(KeyringError):
    """No keystore exists yet for this data directory."""


class AlreadyInitialized(KeyringError):
    """A keystore already exists; initialising again would orphan its data."""


class UnsealFailed(KeyringError):
    """The submitted shares did not reconstruct the root key (never says which share)."""


class ShareFormatError(KeyringError, ValueError):
    """A share was mistyped or is not a Corridor share."""


class ShareNotIssued(KeyringError):
    """A well-formed share that matches none of the commitments to the issued shares."""


class ShareAlreadyEntered(KeyringError):
    """A share for an x coordinate that is already waiting; the waiting shares are kept."""


class SharesUnverifiable(KeyringError):
    """The keystore predates share commitments, so a single share cannot be checked yet."""


class DecryptionError(KeyringError):
    """Authenticated decryption failed; no plaintext is ever returned."""


class UnknownEpoch(KeyringError):
    """A ciphertext names a key epoch that does not exist (or was destroyed)."""


class KeystoreTampered(KeyringError):
    """The keystore's public keys do not belong to its wrapped private keys: someone edited it."""


class TreeHeadRefused(KeyringError):
    """The audit tree head is not a consistent extension of the last one signed: not signed."""


class TooManyRequests(KeyringError):
    """The key service's budget for this operation is spent for now; try again later."""


class KeyServiceUnavailable(KeyringError):
    """The key service process could not be reached."""


# ValueError carries argument errors (bad bit count, retiring the current epoch, ...).
WIRE_ERRORS: dict[str, type[Exception]] = {
    cls.__name__: cls
    for cls in (
        KeyringError,
        Sealed,
        NotInitialized,
        AlreadyInitialized,
        UnsealFailed,
        ShareFormatError,
        ShareNotIssued,
        ShareAlreadyEntered,
        SharesUnverifiable,
        DecryptionError,
        UnknownEpoch,
        KeyServiceUnavailable,
        KeystoreTampered,
        TreeHeadRefused,
        TooManyRequests,
        ValueError,
    )
}
