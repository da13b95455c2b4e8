"""The built dashboard, served by the same process at / and /snapshot/{id}, and the docs UI."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import swagger_ui_bundle
from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

_NOT_BUILT = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>ChronoView</title></head>
<body><h1>ChronoView</h1><p>The dashboard has not been built. Run <code>make run</code>,
which builds it, or <code>npm run build</code> in <code>frontend/</code>.</p>
<p>The API is up: see <a href="/docs">/docs</a>.</p></body></html>"""


def mount_web(app: FastAPI, dist: Path) -> None:
    """Routes for the single-page app, its assets, and a self-hosted Swagger UI."""
    router = APIRouter(include_in_schema=False)
    index = dist / "index.html"

    async def page() -> Response:
        if index.exists():
            return FileResponse(index, headers={"Cache-Control": "no-cache"})
        return HTMLResponse(_NOT_BUILT)

    router.add_api_route("/", page, response_model=None)
    router.add_api_route("/snapshot/{snapshot_id}", page, response_model=None)
    router.add_api_route("/settings/notifications", page, response_model=None)

    @router.get("/docs")
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="ChronoView API",
            swagger_js_url="/_docs/swagger-ui-bundle.js",
            swagger_css_url="/_docs/swagger-ui.css",
            swagger_favicon_url="/_docs/favicon-32x32.png",
        )

    app.include_router(router)
    app.mount("/_docs", StaticFiles(directory=swagger_ui_bundle.swagger_ui_path), name="docs-assets")
    if (dist / "assets").is_dir():
        app.mount("/assets", StaticFiles(directory=dist / "assets"), name="assets")
    for extra in ("favicon.svg", "favicon.ico", "manifest.webmanifest", "theme.js"):
        if (dist / extra).exists():
            app.add_api_route(f"/{extra}", _file(dist / extra), include_in_schema=False)


def _file(path: Path) -> Callable[[], Awaitable[FileResponse]]:
    async def serve() -> FileResponse:
        return FileResponse(path)

    return serve
