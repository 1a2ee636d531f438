"""Content distribution off the harvest path: after a run, push its changed records to matching topics.

The harvest only hands the run id over (``notify_run``); a small thread pool reads the run's changes,
matches them against every active subscription's filters, renders and POSTs the pushes, and retries a
failed delivery after ``GKSS_WEBSUB_RETRY_SECONDS`` x 2^(attempt-1), up to
``GKSS_WEBSUB_DELIVERY_ATTEMPTS`` attempts. A hanging subscriber holds one pool thread until
``GKSS_WEBSUB_DELIVERY_TIMEOUT``, never the harvest. Closing the Hub finishes the distributions already
queued (a ``gkss harvest`` delivers its pushes before it exits) and drops retries not yet due.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

from hub.context import Hub
from hub.search.results import BadSearchParameter
from hub.store.subscriptions import Subscription, active, any_subscription, purge_expired, record_delivery
from hub.websub.content import Push, push_for
from hub.websub.deleted import deletion_matches, run_deletions
from hub.websub.delivery import deliver
from hub.websub.matching import matches, topic_query
from normalizers.resource import Resource

logger = logging.getLogger(__name__)


class Distributor:
    """The delivery workers of one Hub."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        settings = hub.settings
        self._pool = ThreadPoolExecutor(max(1, settings.websub_delivery_threads), thread_name_prefix="websub")
        self._policy = settings.http_policy()
        self._lock = threading.Lock()
        self._retries: set[threading.Timer] = set()  # retry timers not yet due
        self._closed = False

    def close(self) -> None:
        """Finish the distributions queued so far (each delivery bounded by its timeout); drop retries."""
        with self._lock:
            self._closed = True
            retries, self._retries = self._retries, set()
        for retry in retries:
            retry.cancel()
        if retries:
            logger.warning("%d WebSub delivery retries dropped: the hub is closing", len(retries))
        self._pool.shutdown(wait=True)

    def run_changed(self, run_id: int) -> None:
        """Queue the distribution of what run ``run_id`` stored; returns at once."""
        self._pool.submit(self._guarded, self._distribute, run_id)

    def _guarded(self, work: Callable[..., None], *args: object) -> None:
        try:
            work(*args)
        except Exception:  # a delivery bug is logged, never raised into a harvest
            logger.exception("websub distribution failed")

    def _distribute(self, run_id: int) -> None:
        purge_expired(self.hub.store)
        subscriptions = active(self.hub.store)
        if not subscriptions:
            return
        changed: list[Resource] = []
        for live, _gone in self.hub.store.iter_run_changes(run_id):
            changed.extend(live)
        deletions = run_deletions(self.hub.store, run_id)
        if not changed and not deletions:
            return
        authority = self.hub.settings.oai_repository_id
        urls = {source.id: source.url for source in self.hub.store.list_sources()}
        for subscription in subscriptions:
            try:
                query = topic_query(subscription.topic, self.hub.store)
            except BadSearchParameter as exc:
                status = f"bad topic: {exc}"
                record_delivery(self.hub.store, subscription.callback, subscription.topic, status, False)
                continue
            picked = [resource for resource in changed if matches(query, resource)]
            # only Atom can say that an entry was deleted (RFC 6721); RSS and JSON Feed get additions
            atom = urlsplit(subscription.topic).path.endswith("/atom")
            stones = [stone for stone, last in deletions if atom and deletion_matches(query, stone, last)]
            if picked or stones:
                push = push_for(subscription.topic, picked, authority, urls, stones)
                self._attempt(subscription, push, 1)

    def _attempt(self, subscription: Subscription, push: Push, attempt: int) -> None:
        settings = self.hub.settings
        ok, status = deliver(
            subscription.callback, subscription.secret, push, self._policy, settings.websub_delivery_timeout
        )
        record_delivery(self.hub.store, subscription.callback, subscription.topic, status, ok)
        if ok or attempt >= settings.websub_delivery_attempts:
            return
        delay = settings.websub_retry_seconds * 2 ** (attempt - 1)
        retry = threading.Timer(delay, self._retry, args=(subscription, push, attempt + 1))
        retry.daemon = True
        with self._lock:
            if self._closed:
                logger.warning("WebSub retry to %s dropped: the hub is closing", subscription.callback)
                return
            self._retries.add(retry)
        retry.start()

    def _retry(self, subscription: Subscription, push: Push, attempt: int) -> None:
        with self._lock:
            current = threading.current_thread()
            if isinstance(current, threading.Timer):
                self._retries.discard(current)
            if self._closed:
                return
            self._pool.submit(self._guarded, self._attempt, subscription, push, attempt)


_distributors: dict[int, Distributor] = {}
_lock = threading.Lock()


def distributor_for(hub: Hub) -> Distributor:
    """The Hub's distributor, started on first use and closed (and forgotten) with the Hub."""
    with _lock:
        found = _distributors.get(id(hub))
        if found is not None and found.hub is hub:
            return found
        made = _distributors[id(hub)] = Distributor(hub)
        hub.closers.append(lambda: _close(made))
        return made


def _close(distributor: Distributor) -> None:
    with _lock:
        if _distributors.get(id(distributor.hub)) is distributor:
            del _distributors[id(distributor.hub)]
    distributor.close()


def notify_run(hub: Hub, run_id: int, subscribed: bool | None = None) -> None:
    """Called by the pipeline after a run that stored changes: queue their distribution.
    ``subscribed``: whether any subscription is stored, as a group of runs read it once (None: read it)."""
    if any_subscription(hub.store) if subscribed is None else subscribed:  # no subscriber: no threads
        distributor_for(hub).run_changed(run_id)
