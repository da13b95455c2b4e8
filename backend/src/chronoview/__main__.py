"""`python -m chronoview` / `chronoview`: serve the app, or apply migrations."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

import uvicorn

from chronoview.config import SettingsError, get_settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="chronoview")
    parser.add_argument("command", choices=["serve", "migrate"], nargs="?", default="serve")
    args = parser.parse_args(argv)
    try:
        settings = get_settings()
    except SettingsError as exc:
        print(f"chronoview: bad setting: {exc}", file=sys.stderr)
        return 2
    if args.command == "serve":
        from chronoview.storage.lock import DatabaseInUse, lock_sqlite_file

        try:
            lock_sqlite_file(settings.database_url)  # held until the process exits
        except DatabaseInUse as exc:
            print(f"chronoview: {exc}", file=sys.stderr)
            return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.command == "migrate":
        from chronoview.storage import create_storage

        async def migrate() -> None:
            storage = create_storage(settings.database_url, settings.database_pooler)
            try:
                await storage.migrate()
            finally:
                await storage.close()

        asyncio.run(migrate())
        return 0
    from chronoview.main import create_app
    from chronoview.serving import uvicorn_options

    uvicorn.run(create_app(settings), **uvicorn_options(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
