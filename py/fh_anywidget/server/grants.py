"""Grants: what a server-mode placeholder may create, sealed (encrypted and authenticated:
:mod:`.seal`) with a key derived from the host's secret for this purpose only (a grant is not a
session cookie, nor the other way round) and bound to the visitor's session, so that a page can
only create what its render granted, and cannot read the widget's arguments, which may be
private (the page gets only a keyed digest of them). Only targets
this app rendered in server mode, or declared (``AnyWidgetHost(..., server_targets=[...])``), are
ever made: a valid signature over any other target is refused."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Iterable
from typing import Any

from ..kernel import ProtocolError, signature_of
from ..render import current_render
from .seal import BadSeal, Sealer

log = logging.getLogger("fh_anywidget")
PURPOSE = b"fh-anywidget grant signing key v1"


def derive_key(secret: str | bytes, purpose: bytes = PURPOSE) -> bytes:
    """A key for one purpose, derived from the app's secret (HMAC-SHA256)."""
    raw = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(raw, purpose, hashlib.sha256).digest()


class Grants:
    """Seals the spec of each server-mode placeholder a render draws, and checks it on ``create``."""

    def __init__(self, secret: str | bytes, *, targets: Iterable[str] = ()) -> None:
        self._sealer = Sealer(derive_key(secret))
        self.targets: set[str] = set(targets)
        """The targets a grant may name: declared, or rendered in server mode by this process."""
        self.app_specs: dict[str, tuple[str, dict[str, Any]]] = {}
        """What each ``scope="app"`` key rendered so far is made of, so that server code can reach
        the widget before any page has shown it (``host.instance(None, key)``)."""

    def placeholder_spec(self, target: str, kwargs: dict[str, Any], *, key: str | None, scope: str) -> dict[str, Any]:
        """The ``key``, ``scope``, ``grant`` and ``args`` (a keyed digest of the arguments) of a
        server-mode placeholder rendered now."""
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
        self.targets.add(target)
        if scope == "app":
            self.app_specs[key] = (target, kwargs)
        grant = self._sealer.seal({"k": key, "t": target, "a": kwargs, "s": scope, "u": session_id, "i": time.time()})
        # what the page compares placeholders by (one key, other arguments: an error on the page)
        args = self._sealer.digest(signature_of(target, kwargs))
        return {"key": key, "scope": scope, "grant": grant, "args": args}

    def check(self, msg: dict[str, Any], session_id: str) -> tuple[str, str, dict[str, Any], str, float]:
        """``(key, target, kwargs, scope, issued)`` of a ``create`` whose grant this server sealed for
        this session and this key (``issued``: when, as ``time.time()``); :class:`ProtocolError` otherwise."""
        key, grant = msg.get("key"), msg.get("grant")
        if not isinstance(key, str) or not isinstance(grant, str):
            raise ProtocolError("a create message needs a string 'key' and the 'grant' of its placeholder")
        try:
            spec = self._sealer.open(grant)
        except (BadSeal, UnicodeError, ValueError):
            raise ProtocolError(f"the grant of widget {key[:80]!r} is not one this server signed; reload the page") from None
        if not isinstance(spec, dict) or spec.get("k") != key or spec.get("u") != session_id:
            raise ProtocolError(f"the grant of widget {key[:80]!r} was made for another widget or another session; "
                                "reload the page")
        target = spec.get("t")
        if target not in self.targets:
            log.warning("[fh-anywidget] refused a signed grant for %r, which this app never rendered in server mode", target)
            raise ProtocolError(f"the grant of widget {key[:80]!r} names {target!r}, which this app does not serve in "
                                "server mode (render it with host.widget(..., mode='server') or declare it with "
                                "AnyWidgetHost(..., server_targets=[...])); reload the page")
        issued = spec.get("i")
        return key, target, spec["a"], spec["s"], float(issued) if isinstance(issued, (int, float)) else 0.0
