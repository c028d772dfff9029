"""Unit tests of viewra.local."""
