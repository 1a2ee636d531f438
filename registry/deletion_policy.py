"""Per-source deletion options: which deletions a run may apply, and the share that trips the quarantine."""

from __future__ import annotations

from typing import Any

POLICIES = ("tombstones", "absence", "never")
DEFAULT_POLICY = "tombstones"
DELETION_OPTIONS = frozenset({"deletion_policy", "max_delete_share"})


def deletion_policy(options: dict[str, Any]) -> str:
    """``tombstones`` (the source's explicit deletions only, the default), ``absence`` (also what a
    complete, successful full run no longer finds) or ``never`` (deletions are not applied)."""
    return str(options.get("deletion_policy") or DEFAULT_POLICY)


def max_delete_share(options: dict[str, Any], default: float) -> float:
    """The share of a source's live records one run may delete before it is quarantined instead."""
    value = options.get("max_delete_share")
    return default if value is None else float(value)


def check_deletion_options(options: dict[str, Any]) -> None:
    policy = options.get("deletion_policy")
    if policy is not None and policy not in POLICIES:
        raise ValueError(f"deletion_policy must be one of {', '.join(POLICIES)}, got {policy!r}")
    share = options.get("max_delete_share")
    if share is None:
        return
    try:
        number = float(share)
    except (TypeError, ValueError):
        number = -1.0
    if not 0.0 <= number <= 1.0:
        raise ValueError(f"max_delete_share must be a number from 0 to 1, got {share!r}")
