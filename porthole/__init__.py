"""The `porthole` command: the composition root. `cli/` holds the client verbs (docker-py), `serve/` the
long-running programs (`porthole daemon`, `porthole exporter`, `porthole web`) that wire the engine, the
exporter and the dashboard together. The only room that may import every other (DESIGN.md)."""
