"""One delivery attempt: POST the pushed document to a callback, signed when the subscriber gave a secret."""

from __future__ import annotations

import httpx

from harvesters.http import HttpPolicy
from harvesters.netguard import UnsafeDestination
from hub.websub.content import Push
from hub.websub.signing import SIGNATURE_HEADER, signature


def deliver(
    callback: str, secret: str | None, push: Push, policy: HttpPolicy, timeout: float
) -> tuple[bool, str]:
    """(delivered, status): delivered on a 2xx answer; the status is ``HTTP 204`` or the error met."""
    headers = {"Content-Type": push.media_type, "Link": push.link, "User-Agent": policy.user_agent}
    if secret:
        headers[SIGNATURE_HEADER] = signature(secret, push.body)
    try:
        if policy.check_destination is not None:
            policy.check_destination(callback)
        with httpx.Client(timeout=httpx.Timeout(timeout), follow_redirects=False) as client:
            response = client.post(callback, content=push.body, headers=headers)
    except UnsafeDestination as exc:
        return False, f"refused: {exc}"
    except httpx.HTTPError as exc:
        return False, f"{type(exc).__name__}: {exc}"
    return 200 <= response.status_code < 300, f"HTTP {response.status_code}"
