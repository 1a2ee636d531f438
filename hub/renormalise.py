"""Re-normalising a source from the store: its raw payloads crosswalked and enriched again, nothing fetched.

What a hub does after a crosswalk or a vocabulary changes: every live raw record of the source is read
back from the store in batches (keyset order), normalised as a harvest would normalise it (the same
``normalise_record``, the source's configured place), and written through the store's batch upsert
without touching the raw rows; records whose content changed are updated in the index. Normalising
is nearly all of the work, so it goes to ``HELPERS`` helper processes (one per core, at most two; each
holds the models, about 160 MB), the re-normalising process reading and writing. The work is
recorded as a run of status ``renormalised``, which an incremental harvest never takes for its window
start (only ``succeeded`` runs are), with the counts of a harvest and per-record errors. Each record
goes to the helpers with its memo (what the enrichment's models answered for its text when it was
last normalised; hub/remembering.py): a model runs only on text it has not read, or after its
version changed. Each also goes with when its stored record was harvested and the content hash of
its live record: the helper stamps the Resource with that time and makes its content hash and, when
that differs from the stored one, its JSON and (the embedded index's) document fields, so that the
re-normalising process, which bounds a re-normalising of changed records, only writes them.
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any

from harvesters.records import RawRecord, RecordFailure
from hub.context import Hub
from hub.pipeline import Progress, RunSummary
from hub.pipeline.beside import Beside
from hub.pipeline.run import refresh_index
from hub.pipeline.writer import RunWriter
from hub.remembering import normalise_remembering, with_memo
from hub.search.tantivy_index import TantivyIndex
from hub.search.tantivy_schema import document_fields
from hub.store.raw import stored_raw_states
from normalizers.chunks import Delivered, Ready
from normalizers.dispatch import normalize_outcomes, normalize_placed

logger = logging.getLogger(__name__)

STATUS = "renormalised"
NOTE = "re-normalised from the stored raw payloads (nothing fetched)"
HELPERS = min(2, os.cpu_count() or 1)  # processes normalising beside the re-normalising process
# Records per index write. Each write of changed records deletes their former documents from older
# segments, and the merges that follow rewrite those segments: 2,500 at a time instead of a harvest's
# 1,000 (hub.pipeline.writer.INDEX_BATCH, which keeps a harvest's memory flat) take about 80 µs of CPU
# off each changed record for some 10 MB more at the peak; 5,000 took 120 µs off for 85 MB more
# (docs/harvest-performance.md).
INDEX_BATCH = 2500
# Documents per commit of the embedded index (a harvest's: tantivy_writes.COMMIT_EVERY, 2,500): each
# commit of changed records deletes their former documents from older segments and the merges that
# follow rewrite them; 5,000 took 40 µs of CPU off each changed record (docs/harvest-performance.md).
INDEX_COMMIT = 5000


def renormalise_source(
    hub: Hub, source_id: str, *, progress: Progress | None = None, memo: bool = True
) -> RunSummary:
    """Re-normalise every live record of a source from its stored raw payload; a run of its own.

    With ``memo`` the enrichment's models answer from each record's memo where their input text is
    unchanged (hub/remembering.py), and the memos made are kept for the next time; without it
    every model runs and no memo is read or written (the same Resources either way)."""
    source = hub.store.get_source(source_id)
    if source is None:
        raise KeyError(f"no source {source_id!r}")
    place = (source.options.country, source.options.regions)
    run = hub.store.start_run(source_id, False, None)
    summary = RunSummary(run_id=run.id, source_id=source_id, notes=[NOTE])
    started = time.monotonic()
    seen = 0
    harvested_at: dict[str, Any] = {}
    # The writes (store batch by batch, the index every INDEX_BATCH records) go on in the writer's
    # thread while this one reads the next raw records and hands them to the helpers: SQLite and
    # the index's commit work outside the GIL. An index failure is noted on the run, which the next
    # harvest of the source levels from the store (hub/recovery.py), as for a harvest.
    writer = RunWriter(
        hub, source_id, run.id, summary, raw=False, index_batch=INDEX_BATCH, index_commit=INDEX_COMMIT
    )

    normalise = normalise_remembering if memo else normalize_placed

    def deliver(raw: RawRecord, outcome: Delivered) -> None:
        if outcome is None:
            summary.skipped += 1
        elif isinstance(outcome, str):
            writer.fail(RecordFailure(source_id, raw.native_id, outcome))
        elif isinstance(outcome, Ready):  # stamped in the helper with its harvest time
            del harvested_at[raw.native_id]
            writer.add(raw, outcome)
        else:
            outcome.harvested = outcome.provenance.harvested = harvested_at.pop(raw.native_id)  # when fetched
            writer.add(raw, outcome)

    def here(raw: RawRecord) -> None:
        deliver(raw, normalize_outcomes(normalise, [raw], source.protocol, place)[0])

    # the embedded index's documents are made in the helpers (a cluster's are made by its client)
    prepare = document_fields if isinstance(hub.index, TantivyIndex) else None
    beside = Beside(normalise, here, deliver, source.protocol, place, helpers=HELPERS, prepare=prepare)
    try:
        for batch in stored_raw_states(hub.store, source_id, hub.settings.batch_size, memos=memo):
            for state in batch:  # one query read the raw record, its record's hash and its memo
                raw, harvested = state.raw, state.harvested
                harvested_at[raw.native_id] = harvested
                beside.add(with_memo(raw, state.memo) if memo else raw, (harvested, state.content_hash))
            seen += len(batch)
            if progress is not None:
                progress(seen)
        beside.flush()
        writer.finish()
        refresh_index(hub, [writer])
        summary.status = STATUS
    except Exception as exc:  # a store or index error still ends as a recorded failed run
        summary.status = "failed"
        summary.error = f"{type(exc).__name__}: {exc}"
        logger.exception("source %s: re-normalisation run %s failed", source_id, run.id)
    finally:
        beside.close()
        try:
            writer.finish()  # what was handed over before a failure is still written
        except Exception as exc:
            summary.status = "failed"
            summary.error = summary.error or f"store error: {type(exc).__name__}: {exc}"
        summary.seconds = time.monotonic() - started
        hub.store.finish_run(run.id, **summary.outcome())
    return summary
