"""Registry: nodes, sources, keys, schedules, run history."""
