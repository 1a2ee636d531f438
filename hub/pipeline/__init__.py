"""The run pipeline: harvest -> normalise -> store -> index (``run.py``), with the deletion guard, the
run's notifications, adaptive polling, run history and the dry run beside it."""

from hub.pipeline.run import Progress, after_run, harvest_source, normalise_record, source_spec
from hub.pipeline.summary import RunSummary

__all__ = ["Progress", "RunSummary", "after_run", "harvest_source", "normalise_record", "source_spec"]
