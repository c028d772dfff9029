"""``python -m viewra.local.motoserver -H 127.0.0.1 -p PORT``: moto's server, with DynamoDB's
conditional writes made atomic (see :mod:`viewra.local.moto_atomic`)."""

from __future__ import annotations

import sys

from moto.server import main

from viewra.local.moto_atomic import make_dynamodb_writes_atomic

if __name__ == "__main__":
    make_dynamodb_writes_atomic()
    main(sys.argv[1:])
