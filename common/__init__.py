"""Helpers every room uses, each with one home: RFC 3339 times as Go writes them, go-units' human durations,
and a throttle for "count the failure, log it at most once a minute". A leaf: it imports nothing of ours, and
every room may import it (import-linter's contracts in pyproject.toml)."""
