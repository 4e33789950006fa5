"""Container log pipeline: messages, the copier, the driver registry and the drivers.

Imports nothing of porthole's other rooms. Importing this package registers nothing: build a registry
with `logdrivers.registry.builtin_registry()`.
"""
