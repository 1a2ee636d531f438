"""The admin API under /api/admin: nodes, keys, audit, sources, runs, onboarding."""
