"""The web app: server-rendered pages on the same services as the REST API.

``install(app)`` mounts the static files, the PWA files and every page router, and makes errors on
page routes render as HTML while ``/v1`` keeps its JSON envelope. How to add a page: docs/web.md.
"""

from __future__ import annotations

from klearkarma.web.setup import install

__all__ = ["install"]
