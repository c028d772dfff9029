"""Enrichment from web services: TMDB for movies and series, MusicBrainz and the Cover Art
Archive for music. Plain client classes (base URLs, key, User-Agent, session, rate limiter,
cache) and :func:`viewra.media.enrich.core.enrich_item`, which returns a typed
:class:`viewra.media.enrich.models.Enrichment` to merge into the item.
"""
