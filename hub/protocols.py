"""The protocols the hub harvests: the harvesters' own, plus ``hub`` (a peer hub), which federation provides.

Imported by ``hub/__init__.py``, so every entry point (the CLI, the app, the workers) knows them.
"""

from __future__ import annotations

from federation.replication import HubHarvester
from harvesters.registry import register_protocol

register_protocol("hub", HubHarvester)
