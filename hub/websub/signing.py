"""Authenticated content distribution (WebSub 8): ``X-Hub-Signature: sha256=<HMAC of the body>``."""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Hub-Signature"


def signature(secret: str, body: bytes) -> str:
    """The header value: ``sha256=`` and the hex HMAC-SHA256 of the raw body under the subscriber's secret."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify_signature(secret: str, body: bytes, header: str) -> bool:
    """What a subscriber does with a push: recompute and compare in constant time."""
    return hmac.compare_digest(signature(secret, body), header.strip())
