"""The media module: libraries, the catalogue and its listing, the scan pipeline, probing,
naming, sidecars, enrichment. Its face is :mod:`viewra.media.service`."""
