"""Shipping a container's local log to a remote driver (fluentd, gelf, plugins): a cursor that follows the
json-file log by position and line number, the persisted position, and the shipper thread.

Delivery guarantees (for the README):
- A collector outage or a daemon restart delays lines, never blocks the container (the shim only writes the
  local file) and loses nothing the local log still holds. The local log's rotation bounds the spool
  (cache-max-size x cache-max-file, 20m x 5 by default); lines rotated away before they were shipped are
  counted (porthole_log_dropped_lines_total{reason="rotated"}), as are lines a collector can never take
  (reason="refused") and lines still unshipped when a removed container's drain gave up (reason="removed").
- At-least-once. Duplicates can occur in two cases, each at most one batch (ShipperConfig.batch_lines, 2048
  entries): the daemon dies (SIGKILL, OOM, crash) between sending a batch and recording it -- the batch is sent
  again at restart; or a send fails part-way (the collector resets the connection mid-batch) -- the batch is
  sent again whole, and the collector may have kept its first part. After a power loss the recorded position
  can also be up to ShipperConfig.fsync_interval_s (1 s) of batches old.
- "Delivered" means: with fluentd-request-ack, the collector acknowledged the batch; otherwise the kernel took
  the bytes on a connection the collector had not closed (a collector that dies with data in its socket
  buffer loses it: use fluentd-request-ack). GELF over UDP has no acknowledgement: datagrams sent while the
  collector is down are lost unless the kernel reports the refusal (as it does on loopback).
"""
