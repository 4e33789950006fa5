"""The local driver: Docker's compact on-disk format (length-framed protobuf entries, compressed rotation)."""
