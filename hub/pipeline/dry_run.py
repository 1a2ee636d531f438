"""A dry run: harvest a source's first N records, normalise and score them, and store nothing."""

from __future__ import annotations

import itertools
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from harvesters.base import HarvestState
from harvesters.errors import HarvestError
from harvesters.http import HttpPolicy, fetch_once, make_client
from harvesters.records import RecordFailure
from hub.pipeline.run import normalise_record, source_spec
from hub.protocols import hub_harvester
from hub.settings import Settings
from normalizers.errors import InvalidRecord, SkipRecord
from normalizers.quality import Quality, assess, summarise
from registry.sources import Source

LINK_TIMEOUT = 10.0
LINK_CHECKERS = 4


def check_link(client: httpx.Client, policy: HttpPolicy, url: str) -> str | None:
    """None when the link answers (2xx/3xx, after redirects), else why it is broken. HEAD first; GET
    when HEAD is refused (405/501), reading at most 64 KiB."""
    small = HttpPolicy(
        connect_timeout=min(policy.connect_timeout, LINK_TIMEOUT),
        read_timeout=min(policy.read_timeout, LINK_TIMEOUT),
        total_timeout=LINK_TIMEOUT,
        max_bytes=64 * 1024,
        user_agent=policy.user_agent,
        check_destination=policy.check_destination,
    )
    try:
        response = fetch_once(client, small, "HEAD", url)
        if response.status in (405, 501):
            response = fetch_once(client, small, "GET", url)
    except HarvestError as exc:
        return str(exc)
    return None if response.status < 400 else f"HTTP {response.status}"


def dry_run(
    settings: Settings, config: Source, *, limit: int = 20, check_links: bool = True
) -> dict[str, Any]:
    """Harvest up to ``limit`` records of a source that need not be registered; return the Resources
    with a quality score each and a summary. Nothing is written to the store or the index."""
    spec = source_spec(settings, config)
    policy = settings.http_policy()
    state = HarvestState()
    place = (spec.options.country, spec.options.regions)
    resources: list[Any] = []
    failures: list[dict[str, Any]] = []
    skipped = deleted = 0
    error: str | None = None
    started = time.monotonic()
    with make_client(policy) as client:
        items = hub_harvester(settings, spec, policy, client).harvest(state)
        try:
            for item in itertools.islice(items, limit * 5):  # tombstones and skips do not fill the sample
                if isinstance(item, RecordFailure):
                    failures.append({"native_id": item.native_id, "message": item.message})
                elif item.deleted:
                    deleted += 1
                else:
                    try:
                        resources.append(normalise_record(item, config.protocol, place))
                    except SkipRecord:
                        skipped += 1
                    except InvalidRecord as exc:
                        failures.append({"native_id": item.native_id, "message": f"InvalidRecord: {exc}"})
                if len(resources) >= limit:
                    break
        except HarvestError as exc:
            error = f"{type(exc).__name__}: {exc}"
        except Exception as exc:  # a bug or an unforeseen library error is reported, as in a real run
            error = f"internal error: {type(exc).__name__}: {exc}"
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()  # stop the harvester: no request beyond the sample
        broken: list[str | None] = [None] * len(resources)
        if check_links:
            urls = [r.url for r in resources]
            with ThreadPoolExecutor(LINK_CHECKERS) as pool:
                broken = list(pool.map(lambda u: None if not u else check_link(client, policy, u), urls))
    qualities: list[Quality] = [assess(r, b) for r, b in zip(resources, broken, strict=True)]
    return {
        "source": {
            "id": config.id,
            "protocol": config.protocol,
            "url": config.url,
            "options": config.options.stored(),
        },
        "status": "failed" if error else "succeeded",
        "error": error,
        "saved": False,
        "seconds": round(time.monotonic() - started, 3),
        "requests": state.requests,
        "bytes": state.bytes,
        "statuses": dict(state.statuses),
        "records": len(resources),
        "deleted": deleted,
        "skipped": skipped,
        "failed": len(failures),
        "record_errors": failures,
        "quality": summarise(qualities),
        "resources": [
            {"resource": r.model_dump(mode="json"), "quality": q.as_json()}
            for r, q in zip(resources, qualities, strict=True)
        ],
    }
