"""Shipping a container's local log to a remote driver: a cursor that follows the json-file log by position
and line number, the persisted position, and the shipper thread that delivers with retries."""
