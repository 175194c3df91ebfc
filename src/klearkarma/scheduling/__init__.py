"""Availability rules and the slot engine: pure functions, no I/O."""

from klearkarma.scheduling.rules import (
    AvailabilityRules,
    DateOverride,
    LocalInterval,
    RulesError,
    WeeklyHours,
    rules_from_payload,
    rules_to_payload,
)
from klearkarma.scheduling.slots import Busy, Slot, free_slots, is_bookable, working_intervals

__all__ = [
    "AvailabilityRules",
    "Busy",
    "DateOverride",
    "LocalInterval",
    "RulesError",
    "Slot",
    "WeeklyHours",
    "free_slots",
    "is_bookable",
    "rules_from_payload",
    "rules_to_payload",
    "working_intervals",
]
