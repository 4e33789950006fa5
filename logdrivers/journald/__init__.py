"""The journald driver: Docker's journal fields over systemd's native journal protocol."""
