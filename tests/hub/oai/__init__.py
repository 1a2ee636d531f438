"""Tests of the OAI-PMH data provider."""
