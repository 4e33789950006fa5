"""cgroup v1: one hierarchy per controller (or per group of co-mounted controllers)."""
