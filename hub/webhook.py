"""One POST to a subscriber's URL (WebSub callbacks, run notifications): SSRF-guarded (the connection
goes to the addresses the guard checked), no redirects."""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from harvesters.http import HttpPolicy, pinned_transport, tls_context
from harvesters.netguard import UnsafeDestination


def post(
    url: str, body: bytes, headers: Mapping[str, str], policy: HttpPolicy, timeout: float
) -> tuple[bool, str]:
    """(delivered, status): delivered on a 2xx answer; the status is ``HTTP 204`` or the error met."""
    try:
        if policy.check_destination is not None:
            policy.check_destination(url)
        sent = {"User-Agent": policy.user_agent, **headers}
        with (
            httpx.Client(
                timeout=httpx.Timeout(timeout),
                follow_redirects=False,
                verify=tls_context(),
                transport=pinned_transport(policy),
            ) as client,
            client.stream("POST", url, content=body, headers=sent) as response,
        ):
            status = response.status_code  # the body is never read: a receiver cannot make it large
    except UnsafeDestination as exc:
        return False, f"refused: {exc}"
    except httpx.HTTPError as exc:
        return False, f"{type(exc).__name__}: {exc}"
    return 200 <= status < 300, f"HTTP {status}"
