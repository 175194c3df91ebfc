"""Wiring the web app into the ASGI app (called once from ``create_app``)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from klearkarma.web import pwa
from klearkarma.web.errors import install_error_pages
from klearkarma.web.pages import router as pages
from klearkarma.web.rendering import STATIC_DIR


def install(app: FastAPI) -> None:
    """Static files, the PWA files, every page router, and HTML error pages for page routes.

    Call it after the API's error handlers are installed and before the middleware stack is added
    (its crash handler must sit inside the edge middleware).
    """
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(pwa.router)
    app.include_router(pages)
    install_error_pages(app)
