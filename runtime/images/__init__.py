"""Images: a content-addressed layer store with importers and exporters; `store.ImageStore` is the door.

reference (names) · changes/shellwords/healthcheck (--change lines) · compression/readers (streams) ·
memberpaths/layers/tarsplit/layerstore (safe extraction into overlayfs form, byte-exact tars) ·
archive/loader/ocilayout (docker load) · save (docker save) · removal (docker rmi) ·
mergedview (copy_out) · imageindex/image/imageconfig (records; runtime.api.shapes renders them) · busybox (base rootfs)
"""
