"""Serves the hub's API in a process of its own (restart tests): prints its port, serves until ended."""

# Run from the repository root as ``python -m tests.hub.oai.serve``; settings come from GKSS_* variables.

from __future__ import annotations

import socket

import uvicorn

from hub.api import create_app
from hub.settings import Settings


def main() -> None:
    # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on such sockets (else ~40 ms per reply)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    listener.bind(("127.0.0.1", 0))
    print(listener.getsockname()[1], flush=True)
    server = uvicorn.Server(uvicorn.Config(create_app(Settings()), log_level="warning"))
    server.run(sockets=[listener])


if __name__ == "__main__":
    main()
