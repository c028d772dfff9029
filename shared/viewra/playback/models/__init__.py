"""The playback module's records: sessions and what a client sends about them, and per-user
viewing data with Jellyfin's resume rules. Imports only :mod:`viewra.common` and media models."""
