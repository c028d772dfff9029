"""The media module's records and their pure rules: items and streams (:mod:`.items`), libraries
and item identity (:mod:`.catalogue`), listing queries (:mod:`.listing`), scans (:mod:`.scans`).
Imported by every module and the storage adapters; imports only :mod:`viewra.common`."""
