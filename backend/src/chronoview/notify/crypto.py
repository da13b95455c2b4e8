"""Channel secrets at rest: Fernet with a key derived from SECRET_KEY (HKDF-SHA256).

`SECRET_KEY_FALLBACKS` lists earlier keys: anything sealed under one of them still opens, and
`reseal` re-encrypts it under the current key, so the old key can be dropped afterwards.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any

import orjson
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_SALT = b"chronoview"
_INFO = b"channel-secrets/v1"


class SecretsUnreadable(Exception):
    """No configured key opens the stored secrets (SECRET_KEY changed without a fallback)."""


def _fernet(secret_key: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=_INFO).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(key))


class SecretBox:
    """Seals with the current key; opens with it or any fallback."""

    def __init__(self, secret_key: str, fallbacks: Sequence[str] = ()) -> None:
        self._current = _fernet(secret_key)
        self._all = MultiFernet([self._current, *(_fernet(k) for k in fallbacks if k != secret_key)])

    def seal(self, secrets: dict[str, Any]) -> str:
        return self._current.encrypt(orjson.dumps(secrets)).decode()

    def open(self, token: str) -> dict[str, Any]:
        try:
            secrets: dict[str, Any] = orjson.loads(self._all.decrypt(token.encode()))
        except InvalidToken:
            raise SecretsUnreadable(
                "channel secrets cannot be decrypted with SECRET_KEY or SECRET_KEY_FALLBACKS"
            ) from None
        return secrets

    def reseal(self, token: str) -> str | None:
        """The token under the current key, or None when it already is (or no key opens it)."""
        try:
            self._current.decrypt(token.encode())
        except InvalidToken:
            try:
                return self._all.rotate(token.encode()).decode()
            except InvalidToken:
                return None
        return None
