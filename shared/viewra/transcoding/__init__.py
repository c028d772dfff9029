"""The transcoding module: canonical parameters and their hash, providers, ffmpeg commands, HLS,
jobs and the worker that runs them, playlists for clients. Its face is
:mod:`viewra.transcoding.service`, its records :mod:`viewra.transcoding.models`. Imports
:mod:`viewra.common` and other modules' faces only; never a storage adapter or
:mod:`viewra.bootstrap` (what it needs is declared in :mod:`.ports`)."""
