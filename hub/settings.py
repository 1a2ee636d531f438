"""Settings read from GKSS_* environment variables; only entry points build them."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import NonNegativeInt
from pydantic_settings import BaseSettings, SettingsConfigDict

from harvesters.base import DEFAULT_USER_AGENT
from harvesters.netguard import OutboundGuard, check_url, checked_addresses, outbound_guard
from hub.cluster_connection import ClusterConnection

if TYPE_CHECKING:  # the HTTP client (httpx) only for what harvests: the policy is built on demand
    from harvesters.http import HttpPolicy


class Settings(BaseSettings):
    """Every setting of the hub; unset service URLs mean the embedded default."""

    model_config = SettingsConfigDict(env_prefix="GKSS_", extra="ignore")

    home: Path = Path(".gkss")
    database_url: str | None = None
    search_url: str | None = None
    search_index: str = "gkss"
    search_engine: str = "auto"
    search_username: str | None = None
    search_password: str | None = None
    search_api_key: str | None = None
    search_ca_certs: str | None = None
    # segments per shard `gkss reindex` force-merges a new cluster index to before its swap (0: not merged)
    search_merge_segments: NonNegativeInt = 0
    broker_url: str | None = None
    http_timeout: float = 30.0
    http_total_timeout: float = 300.0
    max_response_bytes: int = 50 * 1024 * 1024
    http_max_retries: int = 3
    max_retry_after: float = 120.0
    user_agent: str = DEFAULT_USER_AGENT
    oai_overlap_seconds: int = 60
    allow_private_networks: bool = False
    batch_size: int = 500
    run_stale_seconds: float = 300.0
    max_delete_share: float = 0.5
    cors_origins: str = "*"
    api_rate: float = 20.0
    api_burst: int = 40
    max_request_bytes: int = 65536
    host_rate: float = 1.0
    host_concurrency: int = 2
    host_burst: int = 2
    job_visibility_timeout: int = 3600
    scheduler_tick_seconds: float = 30.0
    host: str = "127.0.0.1"
    access_log: bool = True  # `gkss serve` logs every request (uvicorn's access log)
    port: int = 8000
    hub_name: str = "gkss-hub"
    # The landing page (docs/portal.md): who runs the hub, what it is for, its logo (a PNG/SVG/JPEG file).
    operator_name: str | None = None
    hub_description: str | None = None
    logo_file: Path | None = None
    admin_email: str = "gkss-hub@cbd.int"
    oai_repository_id: str = "gkss-hub.cbd.int"
    oai_page_size: int = 100
    oai_token_secret: str | None = None
    node_id: str | None = None
    node_url: str | None = None
    admin_token: str | None = None
    federation_budget_ms: int = 2000
    federation_max_hops: int = 2
    federation_breaker_failures: int = 3
    federation_breaker_cooldown: float = 30.0
    federation_probe_seconds: float = 300.0
    federation_signature_skew: float = 300.0
    websub_lease_seconds: int = 864000
    websub_min_lease_seconds: int = 60
    websub_max_lease_seconds: int = 2592000
    websub_verify_timeout: float = 10.0
    websub_delivery_timeout: float = 10.0
    websub_delivery_attempts: int = 6
    websub_retry_seconds: float = 5.0
    websub_delivery_threads: int = 4
    notify_timeout: float = 10.0
    poll_min_seconds: int = 900

    def resolved_database_url(self) -> str:
        """The SQLAlchemy URL of the store: GKSS_DATABASE_URL, else SQLite under GKSS_HOME."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'gkss.sqlite').resolve()}"

    def search_connection(self) -> ClusterConnection:
        """The search cluster's engine choice and credentials, checked (ValueError names the culprit)."""
        return ClusterConnection.parse(
            self.search_engine,
            self.search_username,
            self.search_password,
            self.search_api_key,
            self.search_ca_certs,
        )

    def http_policy(self) -> HttpPolicy:
        """The HTTP limits harvesters fetch under."""
        from harvesters.http import HttpPolicy

        return HttpPolicy(
            read_timeout=self.http_timeout,
            total_timeout=self.http_total_timeout,
            max_bytes=self.max_response_bytes,
            max_retries=self.http_max_retries,
            max_retry_after=self.max_retry_after,
            user_agent=self.user_agent,
            check_destination=None if self.allow_private_networks else check_url,
            pin_addresses=None if self.allow_private_networks else checked_addresses,
        )

    def outbound_guard(self) -> OutboundGuard:
        """The outbound guard every connection the hub opens passes (see ``harvesters.netguard``)."""
        return outbound_guard(self.allow_private_networks)
