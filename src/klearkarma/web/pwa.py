"""The installable app: web manifest, the service worker (served from the root so its scope is
the whole site) and the offline page it falls back to."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from klearkarma.web.rendering import SITE_NAME, STATIC_DIR, render, static_url

router = APIRouter(include_in_schema=False)

# What the service worker caches at install: enough to draw the layout and the offline page.
APP_SHELL = ("css/app.css", "js/app.js", "icons/icon.svg", "icons/icon-192.png")


def shell_urls() -> list[str]:
    return ["/offline", *(static_url(path) for path in APP_SHELL)]


@router.get("/manifest.webmanifest")
async def manifest() -> JSONResponse:
    """The web app manifest (name, icons, colours) that makes the site installable."""
    return JSONResponse(
        {
            "name": SITE_NAME,
            "short_name": "Klear Karma",
            "description": "Find and book holistic-health practitioners you can trust.",
            "start_url": "/?source=pwa",
            "scope": "/",
            "display": "standalone",
            "background_color": "#faf7f2",
            "theme_color": "#2f6b57",
            "icons": [
                {"src": static_url("icons/icon-192.png"), "sizes": "192x192", "type": "image/png"},
                {"src": static_url("icons/icon-512.png"), "sizes": "512x512", "type": "image/png"},
                {
                    "src": static_url("icons/icon-512.png"),
                    "sizes": "512x512",
                    "type": "image/png",
                    "purpose": "maskable",
                },
                {"src": static_url("icons/icon.svg"), "sizes": "any", "type": "image/svg+xml"},
            ],
        },
        media_type="application/manifest+json",
    )


@router.get("/sw.js")
async def service_worker() -> Response:
    """The service worker, with this release's app-shell URLs written into it.

    The cache name changes whenever a shell file changes, so a new release replaces the old cache.
    """
    shell = shell_urls()
    version = "-".join(url.rpartition("=")[2] for url in shell[1:])
    source = (STATIC_DIR / "js" / "sw.js").read_text()
    body = source.replace("__SHELL__", repr(shell).replace("'", '"')).replace(
        "__VERSION__", version
    )
    return Response(
        body,
        media_type="application/javascript",
        headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/"},
    )


@router.get("/offline")
async def offline(request: Request) -> Response:
    """What the service worker shows when a page cannot be fetched (no network)."""
    request.state.page_user = None  # cached for everyone: it must not greet anyone by name
    return render(request, "offline.html")
