"""Node identity: a stable hub id and an Ed25519 key kept under GKSS_HOME, signed documents and headers."""

from __future__ import annotations

import base64
import json
import re
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

NODE_ID_FILE = "node-id"
NODE_KEY_FILE = "node-key.pem"
NODE_ID = re.compile(r"[a-z0-9][a-z0-9._-]{0,99}")

HEADER_NODE = "x-gkss-node"
HEADER_DATE = "x-gkss-date"
HEADER_HOPS = "x-gkss-hops"
HEADER_VISITED = "x-gkss-visited"
HEADER_SIGNATURE = "x-gkss-signature"


class IdentityError(ValueError):
    """A signature or a self-description that cannot be trusted."""


@dataclass(frozen=True, slots=True)
class NodeIdentity:
    """This hub: its id and its signing key."""

    node_id: str
    key: Ed25519PrivateKey

    @property
    def public_key(self) -> str:
        """The raw public key, base64 (what peers pin)."""
        raw = self.key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return base64.b64encode(raw).decode("ascii")

    def sign(self, message: bytes) -> str:
        return base64.b64encode(self.key.sign(message)).decode("ascii")


def _read_or_create(path: Path, make: bytes) -> bytes:
    """The file's bytes; written once with ``make`` (exclusive create, so concurrent workers agree)."""
    try:
        with path.open("xb") as handle:
            handle.write(make)
        path.chmod(0o600)
    except FileExistsError:
        pass
    return path.read_bytes()


def load_identity(home: Path, node_id: str | None = None) -> NodeIdentity:
    """The identity kept under ``home`` (made on first use); ``node_id`` (GKSS_NODE_ID) wins over the file."""
    home.mkdir(parents=True, exist_ok=True)
    generated = f"hub-{secrets.token_hex(6)}".encode()
    chosen = node_id or _read_or_create(home / NODE_ID_FILE, generated).decode("utf-8").strip()
    if not NODE_ID.fullmatch(chosen):
        raise IdentityError(f"node id {chosen!r} must match {NODE_ID.pattern}")
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    key = serialization.load_pem_private_key(_read_or_create(home / NODE_KEY_FILE, pem), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise IdentityError(f"{home / NODE_KEY_FILE} is not an Ed25519 private key")
    return NodeIdentity(chosen, key)


def public_key_of(text: str) -> Ed25519PublicKey:
    try:
        return Ed25519PublicKey.from_public_bytes(base64.b64decode(text, validate=True))
    except ValueError as exc:
        raise IdentityError(f"not a base64 Ed25519 public key: {exc}") from None


def verify(public_key: str, message: bytes, signature: str) -> None:
    """Raise IdentityError unless ``signature`` is ``message`` signed by ``public_key``."""
    try:
        public_key_of(public_key).verify(base64.b64decode(signature, validate=True), message)
    except (InvalidSignature, ValueError):
        raise IdentityError("bad signature") from None


def canonical(document: Mapping[str, Any]) -> bytes:
    """The bytes a document signature covers: sorted-key compact JSON without ``signature``."""
    body = {k: v for k, v in document.items() if k != "signature"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def signed_document(identity: NodeIdentity, document: Mapping[str, Any]) -> dict[str, Any]:
    return {**document, "signature": identity.sign(canonical(document))}


def check_document(document: Mapping[str, Any], expected_key: str | None = None) -> str:
    """Verify a self-description with its own key (and the pinned one when given); its public key."""
    key = document.get("public_key")
    signature = document.get("signature")
    if not isinstance(key, str) or not isinstance(signature, str):
        raise IdentityError("self-description without public_key or signature")
    if expected_key is not None and key != expected_key:
        raise IdentityError("self-description key differs from the pinned key")
    verify(key, canonical(document), signature)
    return key


@dataclass(frozen=True, slots=True)
class Route:
    """Where a federated request has been: hops taken and hubs already asked."""

    hops: int = 0
    visited: tuple[str, ...] = ()


def _request_message(node: str, stamp: str, method: str, target: str, route: Route) -> bytes:
    return "\n".join((node, stamp, method.upper(), target, str(route.hops), ",".join(route.visited))).encode()


def signed_headers(identity: NodeIdentity, method: str, target: str, route: Route) -> dict[str, str]:
    """Headers naming and proving the caller; ``target`` is the path with its query string."""
    stamp = str(int(time.time()))
    message = _request_message(identity.node_id, stamp, method, target, route)
    return {
        HEADER_NODE: identity.node_id,
        HEADER_DATE: stamp,
        HEADER_HOPS: str(route.hops),
        HEADER_VISITED: ",".join(route.visited),
        HEADER_SIGNATURE: identity.sign(message),
    }


def request_signer(identity: NodeIdentity) -> Callable[[httpx.Request], None]:
    """An httpx request hook adding this hub's signed headers (hop 0) to every request a client sends."""

    def sign(request: httpx.Request) -> None:
        request.headers.update(signed_headers(identity, request.method, request.url.query.decode(), Route()))

    return sign


def async_request_signer(identity: NodeIdentity) -> Callable[[httpx.Request], Awaitable[None]]:
    sign = request_signer(identity)

    async def hook(request: httpx.Request) -> None:
        sign(request)

    return hook


def caller_of(
    headers: Mapping[str, str], method: str, target: str, key_of: Mapping[str, str], skew: float
) -> tuple[str, Route] | None:
    """The verified caller and route of a request; None when unsigned, IdentityError when it fails."""
    node = headers.get(HEADER_NODE)
    if not node:
        return None
    key = key_of.get(node)
    if key is None:
        raise IdentityError(f"hub {node!r} is not a registered peer (or its key is not known yet)")
    stamp = headers.get(HEADER_DATE, "")
    if not stamp.isdigit() or abs(time.time() - int(stamp)) > skew:
        raise IdentityError("signature date missing or outside the allowed clock skew")
    hops_text = headers.get(HEADER_HOPS, "0")
    if not hops_text.isdigit():
        raise IdentityError("hop count is not a number")
    visited = tuple(v for v in headers.get(HEADER_VISITED, "").split(",") if v)
    route = Route(int(hops_text), visited)
    verify(key, _request_message(node, stamp, method, target, route), headers.get(HEADER_SIGNATURE, ""))
    return node, route
