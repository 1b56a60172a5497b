"""The `mediacheck serve` sub-command: run the pre-flight service with uvicorn (needs `mediacheck[service]`)."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Add this sub-command to the parser."""
    parser = subparsers.add_parser(
        "serve",
        help="run the HTTP pre-flight service",
        description="Serve POST /v1/checks, POST /v1/checks/upload and GET /healthz with uvicorn. "
                    "Settings come from MEDIACHECK_* environment variables (see the README).",
    )
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1; 0.0.0.0 for every interface)")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
    parser.add_argument("--workers", type=int, default=1,
                        help="uvicorn worker processes (default 1; one per core scales a stateless service)")
    parser.set_defaults(handler=serve)


def serve(args: argparse.Namespace) -> int:
    """Run uvicorn until interrupted; returns the exit code."""
    try:
        import uvicorn

        import service.app  # noqa: F401  (fails here, clearly, when the service extra is missing)
    except ImportError as exc:
        print(f"mediacheck: error: serve needs the service extra ({exc.name} is missing): "
              "pip install 'mediacheck[service]'", file=sys.stderr)
        return 2
    if args.workers < 1:
        print("mediacheck: error: --workers must be at least 1", file=sys.stderr)
        return 2
    uvicorn.run("service.app:app", host=args.host, port=args.port, workers=args.workers, log_level="info")
    return 0
