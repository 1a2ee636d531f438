"""schemathesis drives every operation of the OpenAPI schema with generated requests: no server error."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings

from hub.api import create_app
from hub.context import Hub, open_hub
from hub.pipeline import harvest_source
from hub.settings import Settings
from tests.support.oai_replay import OaiReplayServer, load_real_records

EXAMPLES = 40  # per operation
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
