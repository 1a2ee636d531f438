"""Node identity: stable id and key under GKSS_HOME, signed documents and request headers."""

from __future__ import annotations

from pathlib import Path

import pytest

from federation.identity import (
    IdentityError,
    Route,
    caller_of,
    check_document,
    load_identity,
    signed_document,
    signed_headers,
)


def test_identity_is_made_once_and_kept(tmp_path: Path) -> None:
    first = load_identity(tmp_path)
    again = load_identity(tmp_path)
    assert first.node_id == again.node_id and first.node_id.startswith("hub-")
    assert first.public_key == again.public_key
    assert (tmp_path / "node-key.pem").stat().st_mode & 0o077 == 0, "the private key is private"
    assert load_identity(tmp_path, "centre-1").public_key == first.public_key
    with pytest.raises(IdentityError):
        load_identity(tmp_path, "Not Valid!")


def test_signed_document_verifies_and_detects_tampering_and_key_swap(tmp_path: Path) -> None:
    me = load_identity(tmp_path / "me", "me")
    other = load_identity(tmp_path / "other", "other")
    doc = signed_document(me, {"id": "me", "public_key": me.public_key, "name": "A"})
    assert check_document(doc, me.public_key) == me.public_key
    with pytest.raises(IdentityError):
        check_document({**doc, "name": "B"})
    with pytest.raises(IdentityError):
        check_document(doc, other.public_key)
    forged = signed_document(other, {"id": "me", "public_key": other.public_key, "name": "A"})
    with pytest.raises(IdentityError):
        check_document(forged, me.public_key)  # a pinned key defeats a forged self-description


def test_request_headers_round_trip_and_fail_on_any_change(tmp_path: Path) -> None:
    me = load_identity(tmp_path, "hub-a")
    keys = {"hub-a": me.public_key}
    headers = signed_headers(me, "GET", "q=reef&federated=true", Route(1, ("hub-a", "hub-b")))
    assert caller_of(headers, "GET", "q=reef&federated=true", keys, 300) == (
        "hub-a",
        Route(1, ("hub-a", "hub-b")),
    )
    assert caller_of({}, "GET", "", keys, 300) is None
    for changed in (
        {**headers, "x-gkss-hops": "0"},
        {**headers, "x-gkss-visited": "hub-a"},
        {**headers, "x-gkss-date": str(int(headers["x-gkss-date"]) - 1)},
    ):
        with pytest.raises(IdentityError):
            caller_of(changed, "GET", "q=reef&federated=true", keys, 300)
    with pytest.raises(IdentityError):
        caller_of(headers, "GET", "q=other&federated=true", keys, 300)
    with pytest.raises(IdentityError, match="not a registered peer"):
        caller_of(headers, "GET", "q=reef&federated=true", {}, 300)
    old = {**headers, "x-gkss-date": "1000"}
    with pytest.raises(IdentityError, match="skew"):
        caller_of(old, "GET", "q=reef&federated=true", keys, 300)


def test_request_signer_hook_signs_what_the_client_sends(tmp_path: Path) -> None:
    import httpx

    from federation.identity import request_signer

    me = load_identity(tmp_path, "hub-b")
    request = httpx.Request("GET", "http://127.0.0.1:9/oai?verb=ListRecords&metadataPrefix=gkss")
    request_signer(me)(request)
    caller = caller_of(
        request.headers, "GET", "verb=ListRecords&metadataPrefix=gkss", {"hub-b": me.public_key}, 60
    )
    assert caller == ("hub-b", Route(0, ()))
