"""OAI-PMH 2.0 request arguments checked exactly per the protocol: the verbs, their arguments, the error
conditions (badVerb, badArgument) and the from/until window."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from hub.oai.envelope import is_xml_text
from hub.oai.queries import Window
from hub.oai.sets import is_set_spec

VERBS = ("Identify", "ListMetadataFormats", "ListSets", "GetRecord", "ListIdentifiers", "ListRecords")
_LIST_ARGS = ("from", "until", "set", "resumptionToken")
# verb -> (required, optional); resumptionToken is exclusive wherever it is allowed.
_ARGUMENTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "Identify": ((), ()),
    "ListMetadataFormats": ((), ("identifier",)),
    "ListSets": ((), ("resumptionToken",)),
    "GetRecord": (("identifier", "metadataPrefix"), ()),
    "ListIdentifiers": (("metadataPrefix",), _LIST_ARGS),
    "ListRecords": (("metadataPrefix",), _LIST_ARGS),
}
_PREFIX = re.compile(r"[A-Za-z0-9\-_.!~*'()]+")
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_SECOND = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
_MAX_ARGUMENTS = 20


class OaiError(Exception):
    """One OAI-PMH error condition (``code`` from the protocol's table) with a message for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class OaiErrors(Exception):
    """Every error condition a request raised; badVerb and badArgument replies echo no arguments."""

    def __init__(self, errors: Sequence[OaiError]) -> None:
        super().__init__("; ".join(e.message for e in errors))
        self.errors = list(errors)

    @property
    def echo(self) -> bool:
        return not any(e.code in ("badVerb", "badArgument") for e in self.errors)


@dataclass(frozen=True, slots=True)
class Bound:
    """A from/until argument: the moment it names and whether it was a day (``YYYY-MM-DD``)."""

    moment: datetime
    day: bool


LATEST_BOUND = datetime(9999, 12, 30, 23, 59, 59, tzinfo=UTC)
"""The latest from/until: a window ends a day (or a second) after its until, within datetime's range."""


def parse_bound(text: str) -> Bound | None:
    """A UTC date or datetime in one of the two granularities; None when it is neither."""
    try:
        if _DAY.fullmatch(text):
            return Bound(datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC), True)
        if _SECOND.fullmatch(text):
            return Bound(datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC), False)
    except ValueError:
        return None
    return None


def window_of(from_: str | None, until: str | None) -> Window:
    """Datestamps are changed_at at seconds: ``from`` is inclusive, ``until`` covers its whole second/day."""
    start = parse_bound(from_) if from_ else None
    end = parse_bound(until) if until else None
    upper = None if end is None else end.moment + (timedelta(days=1) if end.day else timedelta(seconds=1))
    return Window(None if start is None else start.moment, upper)


def check_arguments(pairs: Sequence[tuple[str, str]]) -> tuple[str, dict[str, str]]:
    """The verb and arguments of a request, or OaiErrors (badVerb / badArgument) per the protocol."""
    verbs = [value for key, value in pairs if key == "verb"]
    if len(verbs) != 1 or verbs[0] not in VERBS:
        problem = "missing" if not verbs else "repeated" if len(verbs) > 1 else "illegal"
        raise OaiErrors([OaiError("badVerb", f"the verb argument is {problem}")])
    verb = verbs[0]
    required, optional = _ARGUMENTS[verb]
    errors: list[OaiError] = []
    keys = [key for key, _ in pairs]
    if len(keys) > _MAX_ARGUMENTS:
        raise OaiErrors([OaiError("badArgument", "too many arguments")])
    for key in sorted({k for k in keys if keys.count(k) > 1}):
        errors.append(OaiError("badArgument", f"repeated argument: {_shown(key)}"))
    for key in sorted(set(keys) - {"verb", *required, *optional}):
        errors.append(OaiError("badArgument", f"illegal argument for {verb}: {_shown(key)}"))
    args = {key: value for key, value in pairs if key != "verb"}
    for key, value in args.items():
        if not value or not is_xml_text(value):
            errors.append(OaiError("badArgument", f"empty or illegal value of {_shown(key)}"))
    if "resumptionToken" in args:
        if len(args) > 1:
            errors.append(OaiError("badArgument", "resumptionToken is exclusive: only verb may go with it"))
    else:
        errors += [OaiError("badArgument", f"missing argument: {k}") for k in required if k not in args]
    errors += _syntax_errors(args)
    if errors:
        raise OaiErrors(errors)
    return verb, args


def _syntax_errors(args: dict[str, str]) -> list[OaiError]:
    errors: list[OaiError] = []
    if "metadataPrefix" in args and not _PREFIX.fullmatch(args["metadataPrefix"]):
        errors.append(OaiError("badArgument", "metadataPrefix has characters a prefix cannot have"))
    if "identifier" in args and not _URI.fullmatch(args["identifier"]):
        errors.append(OaiError("badArgument", "identifier is not a URI"))
    if "set" in args and not is_set_spec(args["set"]):
        errors.append(OaiError("badArgument", "set is not a setSpec"))
    bounds = {}
    for name in ("from", "until"):
        if name in args:
            bound = parse_bound(args[name])
            if bound is None:
                errors.append(OaiError("badArgument", f"{name} is not YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ"))
            elif bound.moment > LATEST_BOUND:
                errors.append(OaiError("badArgument", f"{name} is out of range: the latest is 9999-12-30"))
            else:
                bounds[name] = bound
    if len(bounds) == 2:
        if bounds["from"].day != bounds["until"].day:
            errors.append(OaiError("badArgument", "from and until have different granularities"))
        elif bounds["from"].moment > bounds["until"].moment:
            errors.append(OaiError("badArgument", "from is later than until"))
    return errors


def _shown(key: str) -> str:
    return repr(key[:40]) if is_xml_text(key) else "(an argument name XML cannot carry)"
