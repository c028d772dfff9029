"""The playback module: the decision engine (:mod:`.decision`), sessions, resume and history.
Its face is :mod:`viewra.playback.service`."""
