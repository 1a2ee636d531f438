"""One delivery attempt: POST the pushed document to a callback, signed when the subscriber gave a secret."""

from __future__ import annotations

from harvesters.http import HttpPolicy
from hub.webhook import post
from hub.websub.content import Push
from hub.websub.signing import SIGNATURE_HEADER, signature


def deliver(
    callback: str, secret: str | None, push: Push, policy: HttpPolicy, timeout: float
) -> tuple[bool, str]:
    """(delivered, status): delivered on a 2xx answer; the status is ``HTTP 204`` or the error met."""
    headers = {"Content-Type": push.media_type, "Link": push.link}
    if secret:
        headers[SIGNATURE_HEADER] = signature(secret, push.body)
    return post(callback, push.body, headers, policy, timeout)
