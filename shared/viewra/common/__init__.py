"""What the media, playback and transcoding modules share: settings, errors, events, logs, time,
HTTP answers, key validation. Imports nothing else of Viewra."""
