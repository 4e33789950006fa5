"""cgroup v2: one unified hierarchy; controllers are passed down through cgroup.subtree_control."""
