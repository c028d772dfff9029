"""Key arithmetic shared by the sidecar finders: folders, stems and extensions of object keys."""

from __future__ import annotations

from collections.abc import Callable

# read(key, max_bytes) -> at most max_bytes from the start of the object
ReadFn = Callable[[str, int], bytes]


def folder(key: str) -> str:
    """The key's folder with its trailing slash ("" at the bucket's root)."""
    head, sep, _ = key.rpartition("/")
    return head + sep


def basename(key: str) -> str:
    return key.rpartition("/")[2]


def stem(key: str) -> str:
    name = basename(key)
    return name.rpartition(".")[0] or name


def extension(key: str) -> str:
    name = basename(key)
    return name.rpartition(".")[2].lower() if "." in name else ""


def parent(folder_: str) -> str:
    """The folder above ``folder_`` ("a/b/" → "a/")."""
    return folder(folder_.rstrip("/"))
