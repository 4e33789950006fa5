"""The readers of cgroupfs, /proc and /sys counters: a leaf package with no daemon state (given a cgroup's paths
or a pid, return a sample and the read errors). The daemon's stats endpoint, the runtime's cgroup managers, the
exporter and the web app all read through it, so each number is computed one way. It imports nothing else of
ours; import-linter's contracts in pyproject.toml hold it to that."""
