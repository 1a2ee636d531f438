"""`gkss peers ...` and the federated branch of `gkss search`."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any

import typer

from hub.cli.common import console, fail, open_cli_hub

if TYPE_CHECKING:
    from hub.context import Hub
    from hub.search.base import SearchQuery

peers_app = typer.Typer(help="Peer hubs of the federation (registered explicitly).", no_args_is_help=True)


@peers_app.command("add")
def peers_add(
    peer_id: Annotated[
        str, typer.Argument(metavar="ID", help="The peer's node id (its /.well-known/gkss-hub id)")
    ],
    url: Annotated[str, typer.Option(help="The peer's base URL")],
    trust: Annotated[str, typer.Option(help="full, search or replicate")] = "full",
    weight: Annotated[float, typer.Option(help="Weight of its results in the fusion")] = 1.0,
    public_key: Annotated[
        str | None, typer.Option(help="Pin this Ed25519 key (base64); else the first probe's")
    ] = None,
    probe: Annotated[bool, typer.Option(help="Probe the peer now")] = True,
) -> None:
    """Register a peer hub."""
    from federation.peers import PeerError, add_peer, get_peer
    from harvesters.netguard import registration_refusal

    hub = open_cli_hub()
    try:
        refused = registration_refusal(url, allow_private=hub.settings.allow_private_networks)
        if refused:
            raise fail(f"peer URL refused: {refused}", 2)
        add_peer(hub.store, peer_id, url, trust=trust, weight=weight, public_key=public_key)
        if probe:
            from hub.peer_probe import probe_peers  # the HTTP stack only for the commands that use it

            probe_peers(hub, only=peer_id)
        peer = get_peer(hub.store, peer_id)
    except PeerError as exc:
        raise fail(str(exc), 2) from None
    finally:
        hub.close()
    assert peer is not None
    reason = f": {peer.status_reason}" if peer.status_reason else ""
    console.print(f"added peer {peer.id} {peer.url} ({peer.status}{reason})")


@peers_app.command("list")
def peers_list(as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False) -> None:
    """List peers with their status, capabilities and breaker."""
    from federation.peers import list_peers

    hub = open_cli_hub()
    try:
        peers = [p.as_json() for p in list_peers(hub.store)]
    finally:
        hub.close()
    if as_json:
        typer.echo(json.dumps(peers, indent=2))
        return
    for p in peers:
        breaker = p["breaker"]
        typer.echo(
            f"{p['id']}  {p['url']}  trust={p['trust']} weight={p['weight']} status={p['status']} "
            f"breaker={breaker['state']}{' (' + breaker['reason'] + ')' if breaker['reason'] else ''}"
        )


@peers_app.command("remove")
def peers_remove(peer_id: Annotated[str, typer.Argument(metavar="ID")]) -> None:
    """Forget a peer (its replicated records stay until its source is removed)."""
    from federation.peers import remove_peer

    hub = open_cli_hub()
    try:
        removed = remove_peer(hub.store, peer_id)
    finally:
        hub.close()
    if not removed:
        raise fail(f"no peer {peer_id!r}", 2)
    console.print(f"removed peer {peer_id}")


@peers_app.command("probe")
def peers_probe(peer_id: Annotated[str | None, typer.Argument(metavar="[ID]")] = None) -> None:
    """Probe one peer or all of them now; exit 1 if any is down."""
    hub = open_cli_hub()
    try:
        from hub.peer_probe import probe_peers

        outcome = probe_peers(hub, only=peer_id)
    finally:
        hub.close()
    for pid, ok in outcome.items():
        typer.echo(f"{pid}: {'up' if ok else 'down'}")
    if not all(outcome.values()):
        raise typer.Exit(1)


def federated_cli_search(hub: Hub, query: SearchQuery) -> dict[str, Any]:
    """What `gkss search --federated` prints: the federated JSON with ``peers``."""
    import asyncio

    from hub.search.federated import hub_federated_search  # the fan-out only when asked for

    return asyncio.run(hub_federated_search(hub.store, hub.settings, hub.index, query, detail=True))
