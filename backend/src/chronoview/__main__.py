"""`python -m chronoview` / `chronoview`: serve the app, or apply migrations."""

from __future__ import annotations

import argparse
import asyncio
import sys

from chronoview.config import SettingsError, load_settings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="chronoview", description="ChronoView live metrics server.")
    commands = parser.add_subparsers(dest="command", metavar="{serve,migrate}")
    serve = commands.add_parser(
        "serve", help="serve the API, the WebSocket stream and the dashboard (the default)",
        description="Serve the API, the WebSocket stream and the dashboard until SIGTERM/SIGINT. "
                    "Options override APP_HOST / APP_PORT.",
    )
    serve.add_argument("--host", help="address to listen on (default: APP_HOST, 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default: APP_PORT, 8000)")
    serve.add_argument(
        "--workers", type=int, default=1, metavar="N",
        help="worker processes sharing the port (default 1); N > 1 needs REDIS_URL, since every "
             "process must share the alert windows, fan-out and simulator leases",
    )
    commands.add_parser("migrate", help="apply database migrations, then exit (before an upgrade)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    command = args.command or "serve"
    overrides: dict[str, object] = {}
    workers: int = getattr(args, "workers", 1)
    if command == "serve":
        if workers < 1:
            print("chronoview: --workers must be at least 1", file=sys.stderr)
            return 2
        given = (("app_host", getattr(args, "host", None)), ("app_port", getattr(args, "port", None)))
        overrides = {name: value for name, value in given if value is not None}
    try:
        settings = load_settings(**overrides)
    except SettingsError as exc:
        print(f"chronoview: bad setting: {exc}", file=sys.stderr)
        return 2
    from chronoview import serving

    serving.configure_logging()
    if command == "migrate":
        from chronoview.storage import create_storage

        async def migrate() -> None:
            storage = create_storage(settings.database_url, settings.database_pooler)
            try:
                await storage.migrate()
            finally:
                await storage.close()

        asyncio.run(migrate())
        return 0
    return serving.serve(settings, workers)


if __name__ == "__main__":
    sys.exit(main())
