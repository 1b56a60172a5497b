"""The `mediacheck serve` sub-command: run the service with its guarded server (needs `mediacheck[service]`)."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

# Every route of the service, for `serve --help`: (method, path, what it answers). Written out rather than read from
# the app so that --help imports no FastAPI; tests/service/test_serve_help.py fails when a route is missing here.
ENDPOINTS: tuple[tuple[str, str, str], ...] = (
    ("POST", "/v1/checks", "check a hold-music URL: {\"url\": ...} -> the Report JSON"),
    ("POST", "/v1/checks/upload", "check an uploaded file (multipart field `file`) -> the Report JSON"),
    ("POST", "/v1/dialin-configs/validate", "lint a POST /domain-dialin-config body -> the DialinReport JSON"),
    ("GET", "/", "the web page for people: check, see the waveform, fix, lint a dial-in config"),
    ("POST", "/web/check", "the page's check of a file or URL (an HTML fragment)"),
    ("POST", "/web/fix", "the page's fix: the repaired file as a download"),
    ("POST", "/web/dialin", "the page's dial-in config lint (an HTML fragment)"),
    ("GET", "/web/static/...", "the page's script, styles and icon"),
    ("GET", "/healthz", "liveness (no key needed)"),
    ("GET", "/readyz", "readiness: resources, settings, ffmpeg (no key needed)"),
    ("GET", "/metrics", "Prometheus metrics (MEDIACHECK_METRICS=0 turns it off)"),
    ("GET", "/docs", "the API's interactive docs"),
    ("GET", "/docs/oauth2-redirect", "the interactive docs' sign-in callback"),
    ("GET", "/docs/assets/...", "the interactive docs' scripts and styles, served offline"),
    ("GET", "/redoc", "the API reference"),
    ("GET", "/openapi.json", "the OpenAPI document (MEDIACHECK_DOCS=0 turns it and the docs off)"),
)


def _epilog() -> str:
    width = max(len(path) for _, path, _ in ENDPOINTS)
    lines = [f"  {method:<4} {path:<{width}}  {what}" for method, path, what in ENDPOINTS]
    return "endpoints:\n" + "\n".join(lines) + (
        "\n\nsettings come from MEDIACHECK_* environment variables: see docs/service.md")


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Add this sub-command to the parser."""
    parser = subparsers.add_parser(
        "serve",
        help="run the HTTP pre-flight service",
        description="Run the pre-flight service with uvicorn: the HTTP API, a web page for people, probes\n"
                    "and metrics.",
        epilog=_epilog(), formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1; 0.0.0.0 for every interface). On loopback "
                             "only loopback Host names are answered unless MEDIACHECK_ALLOWED_HOSTS is set")
    parser.add_argument("--port", type=_port, default=8000, help="port to listen on (default 8000)")
    parser.add_argument("--workers", type=int, default=1,
                        help="uvicorn worker processes (default 1; one per core scales a stateless service)")
    parser.set_defaults(handler=serve)


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port number (0-65535)")
    return port


def _variable(loc: tuple[int | str, ...]) -> str:
    name = "_".join(map(str, loc)).upper()
    return name if name.startswith("MEDIACHECK_") else f"MEDIACHECK_{name}"  # aliased fields carry their full name


def serve(args: argparse.Namespace) -> int:
    """Run uvicorn until interrupted; returns the exit code."""
    if args.workers < 1:
        print("mediacheck: error: --workers must be at least 1", file=sys.stderr)
        return 2
    try:
        from pydantic import ValidationError

        from mediacheck.service.hosts import serve_host_names
        from mediacheck.service.server import serve as run_server
        from mediacheck.service.settings import Settings
    except ImportError as exc:
        print(f"mediacheck: error: serve needs the service extra ({exc.name} is missing): "
              "pip install 'mediacheck[service]'", file=sys.stderr)
        return 2
    try:
        Settings()  # the app reads them again on import; checked here so a bad value is a message, not a traceback
    except ValidationError as exc:
        problems = "; ".join(f"{_variable(e['loc'])}: {e['msg']}" for e in exc.errors())
        print(f"mediacheck: error: bad service setting: {problems}", file=sys.stderr)
        return 2
    loopback_names = serve_host_names(args.host)
    if loopback_names and not any(name.upper() == "MEDIACHECK_ALLOWED_HOSTS" for name in os.environ):
        # On loopback only this machine's browser can reach the service, and DNS rebinding is how a web page
        # would: answer only to loopback names. Set here, so every uvicorn worker reads it with the rest.
        os.environ["MEDIACHECK_ALLOWED_HOSTS"] = loopback_names
    run_server(host=args.host, port=args.port, workers=args.workers)
    return 0
