"""Unit tests of the storage adapters that need no AWS (not even moto)."""
