"""Every page router, gathered under the two dependencies all pages share.

``page_router()`` gives a router whose routes resolve the signed-in user (``MaybePageUser``) and
check the CSRF token of every POST. A new page module makes its router with it and adds its name
to ``MODULES`` below.
"""

from __future__ import annotations

import importlib

from fastapi import APIRouter, Depends

from klearkarma.web.csrf import csrf_protect
from klearkarma.web.session import load_page_user

# Page modules under klearkarma.web.pages, in route-matching order.
MODULES = (
    "home",
    "search",
    "practitioner_profile",
    "booking_flow",
    "payment",
    "bookings",
    "account",
    "auth",
    "practitioner",
    "practitioner_availability",
    "practitioner_bookings",
    "admin",
    "admin_bookings",
)


def page_router(prefix: str = "") -> APIRouter:
    """A router for HTML pages: not in the OpenAPI schema, session resolved, forms CSRF-checked."""
    return APIRouter(
        prefix=prefix,
        include_in_schema=False,
        dependencies=[Depends(load_page_user), Depends(csrf_protect)],
    )


def _gather() -> APIRouter:
    combined = APIRouter(include_in_schema=False)
    for name in MODULES:
        module = importlib.import_module(f"klearkarma.web.pages.{name}")
        combined.include_router(module.router)
    return combined


router = _gather()
