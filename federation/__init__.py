"""Federation between hubs: node identity, peers, query fan-out, replication."""
