"""Re-normalising a source from the store: its raw payloads crosswalked and enriched again, nothing fetched.

What a hub does after a crosswalk or a vocabulary changes: every live raw record of the source is read
back from the store in batches (keyset order), normalised as a harvest would normalise it (the same
``normalise_record``, the source's configured place), and written through the store's batch upsert
without touching the raw rows; records whose content changed are updated in the index. The work is
recorded as a run of status ``renormalised``, which an incremental harvest never takes for its window
start (only ``succeeded`` runs are), with the counts of a harvest and per-record errors.
"""

from __future__ import annotations

import logging
import time

from harvesters.records import RecordFailure
from hub.context import Hub
from hub.pipeline import Progress, RunSummary, normalise_record
from hub.store.raw import stored_raw_records
from hub.store.store import NormalisedItem
from normalizers.errors import InvalidRecord, SkipRecord

logger = logging.getLogger(__name__)

STATUS = "renormalised"
NOTE = "re-normalised from the stored raw payloads (nothing fetched)"


def renormalise_source(hub: Hub, source_id: str, *, progress: Progress | None = None) -> RunSummary:
    """Re-normalise every live record of a source from its stored raw payload; a run of its own."""
    source = hub.store.get_source(source_id)
    if source is None:
        raise KeyError(f"no source {source_id!r}")
    place = (source.options.country, source.options.regions)
    run = hub.store.start_run(source_id, False, None)
    summary = RunSummary(run_id=run.id, source_id=source_id, notes=[NOTE])
    started = time.monotonic()
    seen = 0
    try:
        for batch in stored_raw_records(hub.store, source_id, hub.settings.batch_size):
            items: list[NormalisedItem] = []
            failures: list[RecordFailure] = []
            for raw, harvested in batch:
                try:
                    resource = normalise_record(raw, source.protocol, place)
                except SkipRecord:
                    summary.skipped += 1
                    continue
                except InvalidRecord as exc:
                    failures.append(RecordFailure(source_id, raw.native_id, f"InvalidRecord: {exc}"))
                    continue
                resource.harvested = resource.provenance.harvested = harvested  # when it was fetched
                items.append(NormalisedItem(raw, resource))
            result = hub.store.apply_batch(source_id, run.id, items, raw=False)
            summary.add(result)
            if result.to_index:
                hub.index.add(result.to_index)
            if failures:
                summary.failed += len(failures)
                hub.store.record_failures(run.id, failures)
            seen += len(batch)
            if progress is not None:
                progress(seen)
        hub.index.refresh()
        summary.status = STATUS
    except Exception as exc:  # a store or index error still ends as a recorded failed run
        summary.status = "failed"
        summary.error = f"{type(exc).__name__}: {exc}"
        logger.exception("source %s: re-normalisation run %s failed", source_id, run.id)
    finally:
        summary.seconds = time.monotonic() - started
        hub.store.finish_run(run.id, **summary.outcome())
    return summary
