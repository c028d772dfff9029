"""The playback module: the decision engine (:mod:`.decision`), sessions, resume and history.
Its face is :mod:`viewra.playback.service`, its records :mod:`viewra.playback.models`. Imports
:mod:`viewra.common` and other modules' faces only; never a storage adapter or
:mod:`viewra.bootstrap` (what it needs is declared in :mod:`.ports`)."""
