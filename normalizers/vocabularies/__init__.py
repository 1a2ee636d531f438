"""Controlled vocabularies: GBF goals and targets, UN languages, countries, resource types."""
