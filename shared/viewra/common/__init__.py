"""What the media, playback and transcoding modules share: settings, errors, events and the event
feed, logs, timestamps, HTTP answers, key validation, content addressing, the ports several
modules need. Imports nothing of Viewra outside :mod:`viewra.common`."""
