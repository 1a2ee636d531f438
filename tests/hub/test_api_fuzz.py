"""schemathesis drives every operation of the OpenAPI schema with generated requests: no server error,
and (with schemathesis' own engine, as `st run --checks all` does) every conformance check passes:
statuses, content types, headers, response schemas, negative and positive data, unsupported methods
and their ``Allow`` header, authentication."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import engine
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events

from hub.api import create_app
from hub.context import Hub, open_hub
from hub.pipeline import harvest_source
from hub.settings import Settings
from tests.support.oai_replay import OaiReplayServer, load_real_records

EXAMPLES = 40  # per operation
CONFORMANCE_EXAMPLES = 8  # per operation and phase, every check (a run takes about a minute)
ADMIN = "fuzz-admin-token"
# Operations that reach out to the URL they are given: fuzzed without credentials (401), so no
# generated URL is ever fetched (tests talk to 127.0.0.1 only).
OUTBOUND = {
    "POST /api/admin/sources/probe",
    "POST /api/admin/sources/dry-run",
    "POST /api/admin/peers",
    "POST /api/admin/peers/{peer_id}/probe",
}


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    home: Path = tmp_path_factory.mktemp("fuzz")
    hub = open_hub(Settings(home=home, database_url=None, search_url=None, admin_token=ADMIN))
    with OaiReplayServer(load_real_records(), page_size=10) as repo:
        hub.store.add_source("repo", "oai-pmh", repo.url, {})
        assert harvest_source(hub, "repo").status == "succeeded"
    yield hub
    hub.close()


def test_no_operation_answers_a_server_error(hub: Hub) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(hub.settings, hub))
    statuses: Counter[tuple[str, int]] = Counter()
    errors: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {"GET /api/search", "GET /oai", "GET /feeds/atom"} <= {op.label for op in operations}
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,  # the same requests on every run: a failure can be replayed
            database=None,
            suppress_health_check=list(HealthCheck),
            phases=[Phase.explicit, Phase.generate],
        )
        def call(case: schemathesis.Case) -> None:
            label = case.operation.label
            as_admin = label.startswith(("GET", "POST", "PATCH", "DELETE", "PUT")) and label not in OUTBOUND
            response = case.call(headers={"Authorization": f"Bearer {ADMIN}"} if as_admin else None)
            statuses[(label, response.status_code // 100)] += 1
            if response.status_code >= 500:
                errors.append(
                    f"{label} {case.path} {case.query} -> {response.status_code}: {response.text[:300]}"
                )

        call()
    assert not errors, "\n".join(errors[:10])
    answered = {label for (label, kind), n in statuses.items() if kind == 2 and n}
    assert {"GET /api/search", "GET /oai", "GET /feeds/json", "GET /healthz"} <= answered, statuses
    assert {"GET /api/admin/sources", "GET /api/admin/nodes", "GET /api/admin/audit"} <= answered, statuses
    refused = {label for (label, kind), n in statuses.items() if kind == 4 and n}
    assert refused >= OUTBOUND, "outbound operations were only ever refused"
    assert not {label for (label, kind), n in statuses.items() if kind == 2 and label in OUTBOUND}


# A schema cannot say which nodes, sources, targets or regions exist, nor that 2024-02-30 is no date:
# a well-formed request naming such a thing is answered 400 with the reason (documented as such), so
# positive data may also be answered 400; every other expectation of every check is schemathesis'.
POSITIVE_STATUSES = ["2xx", "3xx", "400", "401", "403", "404", "409", "410", "429"]


def test_every_conformance_check_passes(hub: Hub) -> None:
    config = SchemathesisConfig.from_dict(
        {
            "checks": {
                "enabled": True,
                "positive_data_acceptance": {"expected-statuses": POSITIVE_STATUSES},
            },
            "generation": {
                "max-examples": CONFORMANCE_EXAMPLES,
                "deterministic": True,
                "database": "none",
                "mode": "all",
            },
            "phases": {"stateful": {"enabled": False}},
            "headers": {"Authorization": f"Bearer {ADMIN}"},
            # operations that fetch the URL they are given run with a key that is refused (401)
            "operations": [
                {
                    "include-path-regex": "^/api/admin/(sources/(probe|dry-run)|peers)",
                    "headers": {"Authorization": "Bearer not-a-key"},
                }
            ],
        }
    )
    app = create_app(hub.settings, hub)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=config)
    failures: list[str] = []
    checked: Counter[str] = Counter()
    for event in engine.from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            for nodes in event.recorder.checks.values():
                for node in nodes:
                    checked[node.name] += 1
                    if node.failure_info is not None:
                        failures.append(f"{event.recorder.label} {node.name}: {node.failure_info.failure}")
        elif isinstance(event, events.NonFatalError | events.FatalError):
            failures.append(f"engine error: {event}")
    assert not failures, "\n".join(failures[:10])
    ran = {name for name, n in checked.items() if n}
    assert {
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
        "negative_data_rejection",
        "positive_data_acceptance",
        "unsupported_method",
    } <= ran, checked
