"""Sidecar metadata beside a video: NFO files, external subtitles and artwork.

Pure functions over keys and a bounded read function, so the scan can feed them from S3 (a
listing of the video's folder, ranged GETs) and tests from plain lists and dicts:
:func:`viewra.media.scrapers.sidecars.find_sidecars` picks the files,
:func:`viewra.media.scrapers.nfo.read_nfo`
parses an NFO.
"""
