"""Grants: what a server-mode placeholder may create, signed with the host's secret and bound to
the visitor's session, so that a page can only create what its render granted."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer

from ..kernel import ProtocolError, signature_of
from ..render import current_render


class Grants:
    """Signs the spec of each server-mode placeholder a render draws, and checks it on ``create``."""

    def __init__(self, secret: str | bytes) -> None:
        self._serializer = URLSafeSerializer(secret, salt="fh-anywidget.grant")

    def placeholder_spec(self, target: str, kwargs: dict[str, Any], *, key: str | None, scope: str) -> dict[str, Any]:
        """The ``key``, ``scope`` and ``grant`` of a server-mode placeholder rendered now."""
        ctx = current_render()
        if key is None:
            if scope == "app":  # every visitor's page names the same instance
                key = "app:" + hashlib.sha256(signature_of(target, kwargs).encode()).hexdigest()[:24]
            elif ctx is not None:  # stable across reloads, so that a reload resumes the page's widgets
                key = f"{target}#{ctx.counts[target]}"
                ctx.counts[target] += 1
            else:
                key = secrets.token_hex(16)
        session_id = ctx.session_id() if ctx is not None else ""
        grant = self._serializer.dumps({"k": key, "t": target, "a": kwargs, "s": scope, "u": session_id})
        return {"key": key, "scope": scope, "grant": grant}

    def check(self, msg: dict[str, Any], session_id: str) -> tuple[str, str, dict[str, Any], str]:
        """``(key, target, kwargs, scope)`` of a ``create`` whose grant this server signed for this
        session and this key; :class:`ProtocolError` otherwise."""
        key, grant = msg.get("key"), msg.get("grant")
        if not isinstance(key, str) or not isinstance(grant, str):
            raise ProtocolError("a create message needs a string 'key' and the 'grant' of its placeholder")
        try:
            spec = self._serializer.loads(grant)
        except BadSignature:
            raise ProtocolError(f"the grant of widget {key!r} is not one this server signed; reload the page") from None
        if spec.get("k") != key or spec.get("u") != session_id:
            raise ProtocolError(f"the grant of widget {key!r} was made for another widget or another session; "
                                "reload the page")
        return key, spec["t"], spec["a"], spec["s"]
