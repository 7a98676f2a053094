"""Sealed (encrypted and authenticated) values at rest: Fernet (AES-128-CBC + HMAC-SHA256,
with its own timestamp) under a key derived for one purpose.

The key is derived with HKDF-SHA256 from DRAFT_ENCRYPTION_KEY when set, otherwise from
SECRET_KEY, with the purpose as HKDF's info: a key for kept intake input is not the key of
anything else derived from the same secret, and knowing one tells nothing of the other
(ADR 0061). After SECRET_KEY is rotated, values sealed under the keys in
SECRET_KEY_FALLBACKS (Django's own rotation list) still open; a value that opens under
none of them — tampered with, another installation's, too old — is treated as absent."""
import base64

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

_SALT = b"dvprotect.sealing.v1"


def _fernet_for(secret: str, purpose: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=purpose.encode()).derive(secret.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def _secrets() -> list[str]:
    explicit = getattr(settings, "DRAFT_ENCRYPTION_KEY", "")
    if explicit:
        return [explicit, *getattr(settings, "DRAFT_ENCRYPTION_KEY_FALLBACKS", [])]
    return [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]


def _box(purpose: str) -> MultiFernet:
    return MultiFernet([_fernet_for(secret, purpose) for secret in _secrets()])


def seal(data: bytes, *, purpose: str) -> str:
    """`data` encrypted under the current key of `purpose` (the token carries the time)."""
    return _box(purpose).encrypt(data).decode("ascii")


def unseal(token: str, *, purpose: str, max_age_seconds: int | None = None) -> bytes | None:
    """The data, or None when the token does not open under any key of `purpose`, was
    altered, or is older than `max_age_seconds`."""
    try:
        return _box(purpose).decrypt(token.encode("ascii"), ttl=max_age_seconds)
    except (InvalidToken, UnicodeEncodeError):
        return None
