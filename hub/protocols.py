"""The protocols the hub harvests: the harvesters' own, plus ``hub`` (a peer hub), which federation provides.

Imported by ``hub/__init__.py``, so every entry point (the CLI, the app, the workers) knows them; it
registers the peer-hub harvester by name, so importing the hub loads neither federation nor httpx.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harvesters.registry import build_harvester, register_protocol

if TYPE_CHECKING:
    import httpx

    from harvesters.base import Harvester, SourceOptions, SourceSpec
    from harvesters.http import HttpPolicy
    from hub.settings import Settings

register_protocol("hub", "federation.replication:HubHarvester", "federation.replication:HubOptions")


def hub_harvester(
    settings: Settings,
    spec: SourceSpec[SourceOptions],
    policy: HttpPolicy,
    client: httpx.Client | None = None,
) -> Harvester:
    """The harvester of a source, given what only the hub knows: a peer hub's gets this hub's identity
    (to sign its requests and drop records that began here), never through the source's options."""
    if spec.protocol == "hub":
        from federation.replication import HubHarvester, HubOptions
        from harvesters.base import SourceSpec
        from hub.identity import identity_of

        options = spec.options
        if not isinstance(options, HubOptions):
            options = HubOptions.model_validate(options.stored())
        own = SourceSpec(spec.id, spec.protocol, spec.url, options)
        return HubHarvester(own, policy, client, identity=identity_of(settings))
    return build_harvester(spec, policy, client)
