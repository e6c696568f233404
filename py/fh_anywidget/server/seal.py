"""Sealed tokens: JSON that a page carries but can neither read nor change (a server-mode grant
holds the widget's arguments, which may be private: a database URL, a key).

A token is ``nonce | ciphertext | tag``, URL-safe base64: the JSON encrypted with a keystream of
HMAC-SHA256 over the nonce and a block counter (HMAC as a pseudorandom function in counter
mode), then authenticated, encrypt-then-MAC, with HMAC-SHA256 over the nonce and the ciphertext
under a second key. The keys are derived from the one given, each for its purpose alone. Only
the standard library is needed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from typing import Any

NONCE_BYTES = 16
TAG_BYTES = 32


class BadSeal(ValueError):
    """A token this key did not seal, or one changed since."""


def _derive(key: bytes, purpose: bytes) -> bytes:
    return hmac.new(key, purpose, hashlib.sha256).digest()


class Sealer:
    """Seals JSON-able values into tokens, and opens them again (see the module docstring)."""

    def __init__(self, key: bytes) -> None:
        self._encrypt = _derive(key, b"fh-anywidget seal: encryption")
        self._authenticate = _derive(key, b"fh-anywidget seal: authentication")
        self._digest = _derive(key, b"fh-anywidget seal: digest")

    def seal(self, value: Any) -> str:
        data = json.dumps(value, separators=(",", ":")).encode()
        nonce = secrets.token_bytes(NONCE_BYTES)
        body = _xor(data, self._keystream(nonce, len(data)))
        token = nonce + body + self._tag(nonce, body)
        return base64.urlsafe_b64encode(token).rstrip(b"=").decode()

    def open(self, token: str) -> Any:
        """The value ``token`` holds; :class:`BadSeal` if this key did not seal it as it is."""
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except (binascii.Error, ValueError):
            raise BadSeal("not a sealed token") from None
        if len(raw) < NONCE_BYTES + TAG_BYTES:
            raise BadSeal("too short to be a sealed token")
        nonce, body, tag = raw[:NONCE_BYTES], raw[NONCE_BYTES:-TAG_BYTES], raw[-TAG_BYTES:]
        if not hmac.compare_digest(tag, self._tag(nonce, body)):
            raise BadSeal("not sealed with this key, or changed since")
        return json.loads(_xor(body, self._keystream(nonce, len(body))))

    def digest(self, text: str) -> str:
        """A keyed digest of ``text``: equal texts give equal digests, and nobody without the key
        can tell what text gave one (as a plain hash of a short secret would let them guess)."""
        return hmac.new(self._digest, text.encode(), hashlib.sha256).hexdigest()[:32]

    def _tag(self, nonce: bytes, body: bytes) -> bytes:
        return hmac.new(self._authenticate, nonce + body, hashlib.sha256).digest()

    def _keystream(self, nonce: bytes, size: int) -> bytes:
        blocks = (hmac.new(self._encrypt, nonce + i.to_bytes(8, "big"), hashlib.sha256).digest()
                  for i in range((size + 31) // 32))
        return b"".join(blocks)[:size]


def _xor(a: bytes, b: bytes) -> bytes:
    return (int.from_bytes(a, "big") ^ int.from_bytes(b, "big")).to_bytes(len(a), "big")
