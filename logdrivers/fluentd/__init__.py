"""The fluentd driver: Docker's records over the Forward protocol (tcp, tls or unix socket)."""
