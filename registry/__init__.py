"""The registry: nodes, API keys and the audit log (its own tables and their SQL), who may do what,
and the sources: their configurations and options, validated before anything is stored, probing a URL
before registering it, the CBD network's sources ready to seed. Schedules and run history are the hub's."""
