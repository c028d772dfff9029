"""A stub out-of-process plugin that misbehaves on purpose, one way per mode (argv[1]).

It stands in for third-party code: what is tested is the host's isolation, not this script.
Modes: ok, crash (exits mid-call), hang (never answers a call), garbage (answers a call with a
line that is not JSON), bad-shape (valid JSON-RPC, wrong result shape), no-handshake (never
answers the handshake), wrong-protocol, call-error (answers calls with a JSON-RPC error).
"""

from __future__ import annotations

import json
import sys
import time

MODE = sys.argv[1]
NAME = sys.argv[2] if len(sys.argv) > 2 else "misbehaving"


def send(message: dict) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


for line in sys.stdin:
    msg = json.loads(line)
    id_ = msg.get("id")
    if msg["method"] == "viewra.shutdown":
        break
    if msg["method"] == "viewra.handshake":
        if MODE == "no-handshake":
            time.sleep(60)
        protocol = 99 if MODE == "wrong-protocol" else 1
        info = {"protocol": protocol, "name": NAME, "type": "enricher", "version": "9.9"}
        send({"jsonrpc": "2.0", "id": id_, "result": {**info, "methods": ["enrich"]}})
        continue
    print(f"{MODE}: got {msg['method']}", file=sys.stderr, flush=True)
    if MODE == "crash":
        sys.exit(3)
    if MODE == "hang":
        time.sleep(60)
    if MODE == "garbage":
        sys.stdout.write("this is not json\n")
        sys.stdout.flush()
        continue
    if MODE == "bad-shape":
        send({"jsonrpc": "2.0", "id": id_, "result": {"fields": {"genres": "not a list"}}})
        continue
    if MODE == "call-error":
        send({"jsonrpc": "2.0", "id": id_, "error": {"code": -32000, "message": "no luck"}})
        continue
    send({"jsonrpc": "2.0", "id": id_, "result": {"fields": {"genres": ["Drama"]}}})
