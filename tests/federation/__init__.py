"""Tests of federation: identity, peers, fan-out and replication between real hubs."""
