"""Encryption of secrets kept in the database (Fernet, keys from settings)."""

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.utils.crypto import salted_hmac


class SecretUnreadable(Exception):
    """The stored secret cannot be decrypted with any configured key."""


def _fernets() -> list[Fernet]:
    """One per configured key, the first (newest) first."""
    keys = list(settings.ENCRYPTION_KEYS)
    if not keys:
        # Local development only (settings refuse an empty list when DEBUG is off).
        digest = hashlib.sha256(f"orgsite-encryption:{settings.SECRET_KEY}".encode()).digest()
        keys = [base64.urlsafe_b64encode(digest).decode()]
    return [Fernet(key.encode()) for key in keys]


def _fernet() -> MultiFernet:
    return MultiFernet(_fernets())


def encrypt_secret(plain: str) -> str:
    return _fernet().encrypt(plain.encode()).decode()


def decrypt_secret(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise SecretUnreadable(
            "stored secret cannot be decrypted with the configured keys"
        ) from None


def encrypted_secret_mark(token: str) -> str:
    """A short mark of an encrypted secret, for a page to say which one it showed: keyed
    (SECRET_KEY) and of the encrypted token, not of the secret, so it tells nothing of the
    secret, and it needs no decryption (a page showing it works with a key no longer
    configured). Each encryption makes a new token: the same secret stored again is marked
    anew, as is every token rotate_encryption_keys re-encrypts."""
    digest = salted_hmac("jobs.crypto.encrypted_secret_mark", token, algorithm="sha256")
    return digest.hexdigest()[:16]


def reencrypt_secret(token: str) -> str | None:
    """`token` re-encrypted with the first (newest) key, for key rotation; None when that key
    encrypted it already, as rotation run again finds every token. Raises InvalidToken when no
    configured key decrypts it."""
    fernets = _fernets()
    try:
        fernets[0].decrypt(token.encode())
    except InvalidToken:
        return MultiFernet(fernets).rotate(token.encode()).decode()
    return None
