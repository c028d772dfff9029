"""Transcoding: canonical parameters and their hash, providers, ffmpeg commands, jobs, the
worker that runs them, and playlists for clients.

Entry points: :func:`viewra.transcode.jobs.request_transcode` (API), ``get_job`` /
``cancel_job``, :func:`viewra.transcode.worker.handle_message` (transcode function),
:func:`viewra.transcode.playlists.render` (playlists with presigned URLs), ``list_content`` /
``evict`` / ``evict_lru`` (cache), ``Transcoder.registry.describe()`` (providers).
"""
