"""Unit tests of viewra.accounts."""
