"""Signed stateless tokens (HMAC-SHA256): OAI-PMH resumption tokens and the search API's cursors."""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from hub.settings import Settings

KEY_FILE = "oai-token.key"
_VERSION = 1
_MAX_TOKEN = 4096


class BadToken(ValueError):
    """A resumption token that was not issued by this provider's key, or does not parse."""


@dataclass(frozen=True, slots=True)
class TokenState:
    """Where a list stopped: its verb and arguments, the last key served, items served, list size.

    ``after`` is the (changed_at, record id) of the last record served, or for ListSets ("", last
    setSpec); ``cursor`` counts the items served before the page the token asks for.
    """

    verb: str
    prefix: str | None
    set_spec: str | None
    from_: str | None
    until: str | None
    after: tuple[str, str]
    cursor: int
    size: int


def token_key(settings: Settings) -> bytes:
    """GKSS_OAI_TOKEN_SECRET, else a random key kept in GKSS_HOME/oai-token.key (made once, atomically)."""
    if settings.oai_token_secret:
        return settings.oai_token_secret.encode("utf-8")
    home = Path(settings.home)
    home.mkdir(parents=True, exist_ok=True)
    path = home / KEY_FILE
    if not path.exists():
        scratch = home / f".{KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="ascii") as handle:
                handle.write(secrets.token_hex(32) + "\n")
                handle.flush()
                os.fsync(handle.fileno())
            with contextlib.suppress(FileExistsError):  # another process made the key first: theirs wins
                os.link(scratch, path)
        finally:
            scratch.unlink(missing_ok=True)
    text = path.read_text(encoding="ascii").strip()
    try:
        key = bytes.fromhex(text)
    except ValueError:
        raise ValueError(f"{path} does not hold a hex key; remove it to make a new one") from None
    if len(key) < 16:
        raise ValueError(f"{path} holds a key shorter than 16 bytes; remove it to make a new one")
    return key


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenCodec:
    """Issues and reads tokens ``<base64url JSON>.<base64url HMAC-SHA256>``; they never expire."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def _sign(self, payload: str) -> str:
        return _b64(hmac.new(self._key, payload.encode("ascii"), hashlib.sha256).digest())

    def seal(self, data: dict[str, Any]) -> str:
        """Any JSON object as a signed token."""
        payload = _b64(json.dumps(data, separators=(",", ":"), ensure_ascii=True).encode("ascii"))
        return f"{payload}.{self._sign(payload)}"

    def unseal(self, token: str) -> Any:
        """The JSON a token signed here carries; BadToken when it is malformed or its signature fails."""
        if len(token) > _MAX_TOKEN or not token.isascii():
            raise BadToken("not a token of this repository")
        payload, dot, signature = token.partition(".")
        if not dot or not hmac.compare_digest(signature.encode("ascii"), self._sign(payload).encode("ascii")):
            raise BadToken("not a token of this repository (bad signature)")
        try:
            return json.loads(_unb64(payload))
        except (binascii.Error, ValueError) as exc:
            raise BadToken(f"unreadable token ({type(exc).__name__})") from None

    def issue(self, state: TokenState) -> str:
        data = {
            "v": _VERSION,
            "verb": state.verb,
            "p": state.prefix,
            "s": state.set_spec,
            "f": state.from_,
            "u": state.until,
            "k": list(state.after),
            "c": state.cursor,
            "n": state.size,
        }
        return self.seal(data)

    def read(self, token: str) -> TokenState:
        """The state a token names; BadToken when it is malformed or its signature does not match."""
        data: Any = self.unseal(token)
        try:
            state = TokenState(
                verb=_str(data["verb"]),
                prefix=_opt(data["p"]),
                set_spec=_opt(data["s"]),
                from_=_opt(data["f"]),
                until=_opt(data["u"]),
                after=(_str(data["k"][0]), _str(data["k"][1])),
                cursor=_int(data["c"]),
                size=_int(data["n"]),
            )
        except (binascii.Error, ValueError, KeyError, IndexError, TypeError) as exc:
            raise BadToken(f"unreadable token ({type(exc).__name__})") from None
        if data.get("v") != _VERSION:
            raise BadToken("token of another version")
        return state


def after_key(changed_at: datetime, record_id: str) -> tuple[str, str]:
    """The sort key of a record as a token keeps it (microsecond ISO time, id)."""
    return changed_at.isoformat(timespec="microseconds"), record_id


def _str(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError("expected a string")
    return value


def _opt(value: object) -> str | None:
    return None if value is None else _str(value)


def _int(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise TypeError("expected a non-negative integer")
    return value
