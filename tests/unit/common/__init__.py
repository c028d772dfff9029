"""Unit tests of viewra.common."""
