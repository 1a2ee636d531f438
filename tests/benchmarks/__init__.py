"""On-demand benchmarks, not collected by pytest: each prints its figures beside a same-run baseline."""
