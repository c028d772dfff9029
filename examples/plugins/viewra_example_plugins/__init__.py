"""Example Viewra plugins, one per type: a transcoder and a scraper that run in process, and an
enricher that runs out of process (a subprocess speaking :mod:`viewra.plugins.protocol`)."""
