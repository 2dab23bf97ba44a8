"""Storage: the embedded topic log (segments, partitions, offsets) behind a backend-neutral API."""
