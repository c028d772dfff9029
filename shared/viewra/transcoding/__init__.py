"""Transcoding: canonical parameters and their hash, providers, ffmpeg commands, jobs, the
worker that runs them, and playlists for clients.

Entry points: :func:`viewra.transcoding.jobs.request_transcode` (API), ``get_job`` /
``cancel_job``, :func:`viewra.transcoding.worker.handle_message` (transcode function),
:func:`viewra.transcoding.playlists.render` (playlists with presigned URLs), ``list_content`` /
``evict`` / ``evict_lru`` (cache), ``Transcoder.registry.describe()`` (providers).
"""
