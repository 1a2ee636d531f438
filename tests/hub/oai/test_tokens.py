"""Resumption tokens: signed and stateless, never expiring, valid across a restart, tampering refused."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from lxml import etree

from hub.context import open_hub
from hub.pipeline import harvest_source
from hub.settings import Settings
from hub.tokens import KEY_FILE, BadToken, TokenCodec, TokenState, token_key
from tests.hub.oai.support import OAI, ROOT, Oai, Stored, check_oai, error_codes, stored_records
from tests.support.oai_replay import OaiReplayServer, load_real_records

STATE = TokenState(
    verb="ListRecords",
    prefix="oai_dc",
    set_spec="country:KE",
    from_="2024-01-01",
    until=None,
    after=("2024-05-01T10:00:00.123456+00:00", "repo-0123"),
    cursor=200,
    size=1234,
)


def test_a_token_carries_its_state_and_is_signed() -> None:
    codec = TokenCodec(b"k" * 32)
    token = codec.issue(STATE)
    assert codec.read(token) == STATE
    payload, _, signature = token.partition(".")
    assert payload and signature and token.isascii()
    flipped = payload[:-1] + ("A" if payload[-1] != "A" else "B")
    for bad in (
        f"{flipped}.{signature}",
        f"{payload}.{signature[:-1]}",
        payload,
        "",
        "junk",
        "junk.junk",
        token + "x",
        TokenCodec(b"x" * 32).issue(STATE),
        "é" + token,
        "a" * 5000,
    ):
        with pytest.raises(BadToken):
            codec.read(bad)


def test_the_key_is_the_secret_setting_or_a_persisted_random_key(tmp_path: Path) -> None:
    assert token_key(Settings(home=tmp_path / "a", oai_token_secret="s3cret")) == b"s3cret"
    assert not (tmp_path / "a" / KEY_FILE).exists()
    made = token_key(Settings(home=tmp_path / "b"))
    assert len(made) == 32
    path = tmp_path / "b" / KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert token_key(Settings(home=tmp_path / "b")) == made, "read back, not made again"
    assert token_key(Settings(home=tmp_path / "c")) != made
    assert sorted(p.name for p in (tmp_path / "b").iterdir()) == [KEY_FILE], "no scratch file left"


def test_processes_racing_to_make_the_key_agree(tmp_path: Path) -> None:
    keys: list[bytes] = []
    settings = Settings(home=tmp_path / "race")
    threads = [threading.Thread(target=lambda: keys.append(token_key(settings))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(keys) == 8 and len(set(keys)) == 1


def _token(oai: Oai, query: str, verb: str) -> str:
    token = oai.get(query).findtext(f"{OAI}{verb}/{OAI}resumptionToken")
    assert token
    return token


def test_tampered_and_foreign_tokens_are_bad_resumption_tokens(oai: Oai, stored: list[Stored]) -> None:
    token = _token(oai, "verb=ListRecords&metadataPrefix=oai_dc", "ListRecords")
    payload, _, signature = token.partition(".")
    other_key = TokenCodec(b"another key of 32 bytes, not ours").issue(
        TokenState(
            "ListRecords", "oai_dc", None, None, None, (stored[0].changed_at.isoformat(), stored[0].id), 7, 9
        )
    )
    for bad in (
        f"{payload[:-2]}xx.{signature}",
        f"{payload}.{signature[::-1]}",
        payload,
        "garbage",
        other_key,
    ):
        root = oai.get(f"verb=ListRecords&resumptionToken={bad}")
        assert error_codes(root) == ["badResumptionToken"], bad
        request = root.find(OAI + "request")
        assert request is not None and request.get("resumptionToken") == bad
    sets_token = _token(oai, "verb=ListIdentifiers&metadataPrefix=oai_dc", "ListIdentifiers")
    assert error_codes(oai.get(f"verb=ListRecords&resumptionToken={sets_token}")) == ["badResumptionToken"]
    assert error_codes(oai.get(f"verb=ListSets&resumptionToken={token}")) == ["badResumptionToken"]


# -- a restart: the same GKSS_HOME, a new process ---------------------------------------------------------


@contextmanager
def _served(home: Path, **extra: str) -> Iterator[str]:
    """The hub's API in a new process on GKSS_HOME ``home``; yields its /oai URL."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GKSS_")}
    env.update(GKSS_HOME=str(home), GKSS_OAI_PAGE_SIZE="5", **extra)
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.hub.oai.serve"], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        url = f"http://127.0.0.1:{int(process.stdout.readline())}/oai"
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(url, params={"verb": "Identify"}, timeout=2)
                break
            except httpx.TransportError:
                assert process.poll() is None, "the server process died"
                assert time.monotonic() < deadline, "the server process did not start"
                time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _get(url: str, **params: str) -> etree._Element:
    response = httpx.get(url, params=params, timeout=30)
    assert response.status_code == 200
    return check_oai(response.content, response.headers.get("content-type"))


def _page(root: etree._Element) -> tuple[list[str], str | None]:
    ids = [str(h.findtext(OAI + "identifier")) for h in root.iter(OAI + "header")]
    return ids, root.findtext(f"{OAI}ListIdentifiers/{OAI}resumptionToken")


def test_a_token_issued_before_a_restart_works_after_it(tmp_path: Path) -> None:
    home = tmp_path / "gkss"
    hub = open_hub(Settings(home=home))
    with OaiReplayServer(load_real_records(), page_size=7) as server:
        hub.store.add_source("repo", "oai-pmh", server.url, {})
        assert harvest_source(hub, "repo").status == "succeeded"
    expected = [s.identifier for s in stored_records(hub)]
    hub.close()
    assert len(expected) > 10

    with _served(home) as url:
        first, token = _page(_get(url, verb="ListIdentifiers", metadataPrefix="oai_dc"))
    assert first == expected[:5] and token
    issued = token
    assert stat.S_IMODE((home / KEY_FILE).stat().st_mode) == 0o600

    with _served(home) as url:
        harvested = list(first)
        while token:
            ids, token = _page(_get(url, verb="ListIdentifiers", resumptionToken=token))
            harvested += ids
    assert harvested == expected

    with _served(home, GKSS_OAI_TOKEN_SECRET="a different key") as url:
        root = _get(url, verb="ListIdentifiers", resumptionToken=issued)
    assert error_codes(root) == ["badResumptionToken"], "the token was signed with the key file's key"
