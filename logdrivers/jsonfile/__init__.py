"""The json-file driver: writer (shim side), rotation and compression, reader (daemon side)."""
