"""viewra.local.motoserver: cheroot's socket writer, patched to send without copying the rest."""

from __future__ import annotations

import os
import socket
import threading

from cheroot.makefile import MakeFile

from viewra.local.motoserver import SEND_BLOCK, send_without_copies


def test_a_large_write_arrives_whole_and_in_order_through_partial_sends() -> None:
    send_without_copies()
    send_without_copies()  # idempotent
    ours, theirs = socket.socketpair()
    ours.settimeout(30)  # as cheroot's: sends may be partial, each returns what went out
    big = os.urandom(3 * SEND_BLOCK + 12345)
    data = big + b"tail"
    received = bytearray()

    def read() -> None:
        while len(received) < len(data):
            chunk = theirs.recv(1 << 16)
            if not chunk:
                return
            received.extend(chunk)

    reader = threading.Thread(target=read)
    reader.start()
    out = MakeFile(ours, "wb")
    assert out.write(big) == len(big)
    out.write(b"tail")
    reader.join(timeout=30)
    ours.close()
    theirs.close()

    assert bytes(received) == data and out.bytes_written == len(data)
