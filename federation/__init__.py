"""Federation between hubs: peers, query fan-out, replication (not built yet)."""
