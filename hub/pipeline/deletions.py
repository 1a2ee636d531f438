"""Deletion safety: a run's deletions wait for it to succeed, then are applied, dropped or quarantined."""

from __future__ import annotations

from dataclasses import dataclass, field

from harvesters.records import RawRecord
from hub.store import Store


@dataclass(slots=True)
class Decision:
    """What a successful run does with the deletions it saw."""

    apply: list[RawRecord] = field(default_factory=list)
    quarantined: int = 0  # deletions held back: they would have removed too much of the source
    notes: list[str] = field(default_factory=list)


@dataclass(slots=True)
class DeletionGuard:
    """Holds a run's deletions and decides on them once the run has succeeded.

    ``policy``: ``tombstones`` applies the source's explicit deletions; ``absence`` also deletes what
    a complete full run no longer finds; ``never`` applies none. Whatever the policy, when the
    deletions would remove more than ``max_share`` of the source's live records, none is applied
    and the run is quarantined (unless ``accept``: an admin has looked and accepts them). A failed
    run applies no deletion at all.
    """

    source_id: str
    policy: str
    max_share: float
    accept: bool = False
    complete: bool = False  # a full (or first) run: it sees every record the source holds
    held: dict[str, RawRecord] = field(default_factory=dict)
    seen: set[str] = field(default_factory=set)

    def hold(self, raw: RawRecord) -> None:
        self.held[raw.native_id] = raw
        self.seen.discard(raw.native_id)

    def saw(self, native_id: str) -> None:
        """A live record of this run (the same record deleted earlier in the run comes back)."""
        self.held.pop(native_id, None)
        if self.policy == "absence":
            self.seen.add(native_id)

    def decide(self, store: Store) -> Decision:
        if self.policy == "never":
            ignored = len(self.held)
            return Decision(
                notes=[f"{ignored} deletion(s) not applied: deletion_policy never"] if ignored else []
            )
        absence = self.policy == "absence" and self.complete
        if not self.held and not absence:
            return Decision()
        live = set(store.live_native_ids(self.source_id))  # read once: for absence and for the share
        candidates = dict(self.held)
        if absence:
            for native_id in live - self.seen - candidates.keys():
                candidates[native_id] = RawRecord(self.source_id, native_id, "", b"", deleted=True)
        if not candidates:
            return Decision()
        removing = [raw for native_id, raw in candidates.items() if native_id in live]
        share = len(removing) / len(live) if live else 0.0
        if removing and share > self.max_share and not self.accept:
            return Decision(
                quarantined=len(removing),
                notes=[
                    f"quarantined: this run would delete {len(removing)} of the source's {len(live)} live "
                    f"records ({share:.0%} > max_delete_share {self.max_share:.0%}); nothing was deleted. "
                    f"If the deletions are right: gkss harvest {self.source_id} --accept-deletions"
                ],
            )
        return Decision(apply=list(candidates.values()))
