"""The gelf driver: GELF 1.1 to Graylog (or any GELF input) over UDP (chunked, compressed) or TCP."""
