"""Importing this module registers every context's tables on the shared metadata.

Alembic and the test fixtures use it; application code imports the models it needs directly.
"""

from klearkarma.bookings import models as bookings_models
from klearkarma.core import events as core_events
from klearkarma.core import idempotency as core_idempotency
from klearkarma.core.db import Base
from klearkarma.identity import models as identity_models
from klearkarma.notifications import models as notifications_models
from klearkarma.payments import models as payments_models
from klearkarma.practitioners import models as practitioners_models
from klearkarma.reviews import models as reviews_models
from klearkarma.search import models as search_models

metadata = Base.metadata

__all__ = [
    "bookings_models",
    "core_events",
    "core_idempotency",
    "identity_models",
    "metadata",
    "notifications_models",
    "payments_models",
    "practitioners_models",
    "reviews_models",
    "search_models",
]
