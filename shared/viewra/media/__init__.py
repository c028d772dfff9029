"""The media module: libraries, the catalogue and its listing, the scan pipeline, probing,
naming, sidecars, enrichment. Its face is :mod:`viewra.media.service`, its records
:mod:`viewra.media.models`. Imports :mod:`viewra.common` and other modules' faces only; never a
storage adapter or :mod:`viewra.bootstrap` (what it needs is declared in :mod:`.ports`)."""
