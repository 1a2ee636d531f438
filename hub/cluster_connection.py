"""How the hub reaches a search cluster: which engine, what credentials, which CA; and the engine detection.

The engine (Elasticsearch or OpenSearch) is read from what the cluster's ``GET /`` answers unless
GKSS_SEARCH_ENGINE names it. A secured cluster takes either a user and password
(GKSS_SEARCH_USERNAME / GKSS_SEARCH_PASSWORD) or an Elasticsearch API key (GKSS_SEARCH_API_KEY,
the encoded key or ``id:key``), and GKSS_SEARCH_CA_CERTS names the PEM bundle that signs its TLS
certificate (else the system's trust store).
"""

from __future__ import annotations

import base64
import json
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast

Engine = Literal["elasticsearch", "opensearch"]
ENGINES: tuple[str, ...] = ("auto", "elasticsearch", "opensearch")


class EngineDetectionError(RuntimeError):
    """No node of the cluster URL answered ``GET /`` in a way that names its engine."""


@dataclass(frozen=True, slots=True)
class ClientNames:
    """What an engine's Python client calls the options the hub gives it: the request timeout, the
    connections per node, a user and password; and whether an API key goes as a header."""

    timeout: str
    pool: str
    auth: str
    api_key_header: bool  # False: the client's ``api_key`` option, the encoded key


@dataclass(frozen=True, slots=True)
class ClusterConnection:
    """The engine choice and the credentials of a cluster; built by ``parse``, which checks them."""

    engine: str = "auto"
    username: str | None = None
    password: str | None = None
    api_key: str | None = None
    ca_certs: str | None = None

    @classmethod
    def parse(
        cls,
        engine: str | None = "auto",
        username: str | None = None,
        password: str | None = None,
        api_key: str | None = None,
        ca_certs: str | None = None,
    ) -> ClusterConnection:
        """Checked settings: a known engine, a user with a password or an API key (not both), an
        existing CA bundle. Raises ValueError naming the setting at fault."""
        chosen = (engine or "auto").strip().lower()
        if chosen not in ENGINES:
            raise ValueError(f"GKSS_SEARCH_ENGINE must be one of {', '.join(ENGINES)}, got {engine!r}")
        username, password, api_key, ca_certs = (v or None for v in (username, password, api_key, ca_certs))
        if (username is None) != (password is None):
            raise ValueError("GKSS_SEARCH_USERNAME and GKSS_SEARCH_PASSWORD go together: set both or neither")
        if api_key is not None and username is not None:
            raise ValueError("set GKSS_SEARCH_API_KEY or GKSS_SEARCH_USERNAME/PASSWORD, not both")
        if api_key is not None and ":" in api_key and not all(api_key.split(":", 1)):
            raise ValueError("GKSS_SEARCH_API_KEY as id:key needs both parts")
        if ca_certs is not None and not Path(ca_certs).is_file():
            raise ValueError(f"GKSS_SEARCH_CA_CERTS names no file: {ca_certs}")
        return cls(chosen, username, password, api_key, ca_certs)

    def encoded_api_key(self) -> str | None:
        """The API key as the ``Authorization: ApiKey`` header carries it (``id:key`` gets encoded)."""
        if self.api_key is None:
            return None
        if ":" in self.api_key:
            return base64.b64encode(self.api_key.encode()).decode()
        return self.api_key

    def basic_auth(self) -> tuple[str, str] | None:
        if self.username is None or self.password is None:
            return None
        return (self.username, self.password)

    def headers(self) -> dict[str, str]:
        """The Authorization header of these credentials (empty without any)."""
        key = self.encoded_api_key()
        if key is not None:
            return {"Authorization": f"ApiKey {key}"}
        auth = self.basic_auth()
        if auth is not None:
            return {"Authorization": "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()}
        return {}

    def client_options(self, names: ClientNames, *, timeout: float, pool: int) -> dict[str, Any]:
        """The keyword arguments of an engine's client (named by ``names``): timeout, pool, retries on
        timeouts, these credentials and the CA bundle."""
        options: dict[str, Any] = {names.timeout: timeout, names.pool: pool, "max_retries": 3}
        options["retry_on_timeout"] = True
        if self.basic_auth() is not None:
            options[names.auth] = self.basic_auth()
        elif self.api_key is not None:
            options.update(
                {"headers": self.headers()} if names.api_key_header else {"api_key": self.encoded_api_key()}
            )
        if self.ca_certs is not None:
            options["ca_certs"] = self.ca_certs
        return options

    def ssl_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.ca_certs)


def engine_of(info: dict[str, object], product_header: str | None = None) -> Engine | None:
    """The engine a ``GET /`` answer describes: OpenSearch says so in ``version.distribution``;
    Elasticsearch answers with the ``X-Elastic-Product`` header or its tagline and no distribution."""
    version = info.get("version")
    distribution = version.get("distribution") if isinstance(version, dict) else None
    if distribution == "opensearch":
        return "opensearch"
    if product_header == "Elasticsearch":
        return "elasticsearch"
    if distribution is None and isinstance(version, dict) and info.get("tagline") == "You Know, for Search":
        return "elasticsearch"
    return None


def detect_engine(url: str, connection: ClusterConnection, timeout: float = 10.0) -> Engine:
    """The engine of the cluster at ``url`` (nodes comma-separated): the setting when it names one,
    else what the first answering node's ``GET /`` says."""
    if connection.engine != "auto":
        return cast(Engine, connection.engine)
    failures: list[str] = []
    for host in (h.strip() for h in url.split(",") if h.strip()):
        request = urllib.request.Request(host.rstrip("/") + "/", headers=connection.headers())
        handlers: list[urllib.request.BaseHandler] = [
            urllib.request.ProxyHandler({})
        ]  # as the clients: no proxy
        if host.startswith("https://"):
            handlers.append(urllib.request.HTTPSHandler(context=connection.ssl_context()))
        try:
            with urllib.request.build_opener(*handlers).open(request, timeout=timeout) as answer:
                info = json.loads(answer.read())
                found = engine_of(
                    info if isinstance(info, dict) else {}, answer.headers.get("X-Elastic-Product")
                )
        except (OSError, ValueError) as error:  # urllib's errors are OSErrors; bad JSON a ValueError
            failures.append(f"{host}: {error}")
            continue
        if found is not None:
            return found
        failures.append(f"{host}: GET / names neither Elasticsearch nor OpenSearch")
    raise EngineDetectionError(
        "could not tell the search engine (set GKSS_SEARCH_ENGINE=elasticsearch|opensearch to skip this): "
        + "; ".join(failures)
    )
