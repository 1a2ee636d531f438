"""Tests of the registry: nodes, sources, keys, rights and onboarding."""
