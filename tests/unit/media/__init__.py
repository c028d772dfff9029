"""Unit tests of viewra.media."""
