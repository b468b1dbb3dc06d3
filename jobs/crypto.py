"""Encryption of secrets kept in the database (Fernet, keys from settings)."""

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class SecretUnreadable(Exception):
    """The stored secret cannot be decrypted with any configured key."""


def _fernet() -> MultiFernet:
    keys = list(settings.ENCRYPTION_KEYS)
    if not keys:
        # Local development only (settings refuse an empty list when DEBUG is off).
        digest = hashlib.sha256(f"orgsite-encryption:{settings.SECRET_KEY}".encode()).digest()
        keys = [base64.urlsafe_b64encode(digest).decode()]
    return MultiFernet([Fernet(key.encode()) for key in keys])


def encrypt_secret(plain: str) -> str:
    return _fernet().encrypt(plain.encode()).decode()


def decrypt_secret(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise SecretUnreadable(
            "stored secret cannot be decrypted with the configured keys"
        ) from None


def reencrypt_secret(token: str) -> str:
    """Re-encrypt with the first (newest) key, for key rotation."""
    return _fernet().rotate(token.encode()).decode()
