"""What the practitioner pages share: onboarding progress, the wizard's page, and the
availability editor (the weekly-hours form turned into the API's availability payload and the
rules engine's refusals turned back into messages on the right inputs)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from pydantic.alias_generators import to_snake
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData
from starlette.responses import Response

from klearkarma.core.errors import NotFound, ValidationFailed
from klearkarma.identity import service as identity
from klearkarma.identity.policy import Principal
from klearkarma.practitioners import manage
from klearkarma.practitioners import service as practitioners
from klearkarma.practitioners.models import CredentialDocument, Practitioner, Service, ServiceMode
from klearkarma.scheduling.rules import SLOT_INTERVAL_MINUTES, WEEKDAYS
from klearkarma.web.forms import FormErrors
from klearkarma.web.rendering import render
from klearkarma.web.slots import COMMON_ZONES

STEPS = (
    ("profile", "Profile"),
    ("credentials", "Credentials"),
    ("services", "Services"),
    ("availability", "Availability"),
)
MODES = (
    (ServiceMode.ONLINE.value, "Online"),
    (ServiceMode.IN_PERSON.value, "In person"),
)


@dataclass
class Progress:
    """How far onboarding has got: what exists for each step, and the first step left to do."""

    practitioner: Practitioner | None
    documents: list[CredentialDocument]
    services: list[Service]
    has_rules: bool

    @property
    def done(self) -> dict[str, bool]:
        return {
            "profile": self.practitioner is not None,
            "credentials": bool(self.documents),
            "services": any(s.is_active for s in self.services),
            "availability": self.has_rules,
        }

    @property
    def next_step(self) -> str:
        return next((key for key, _ in STEPS if not self.done[key]), "done")

    @property
    def complete(self) -> bool:
        return self.next_step == "done"


async def own_practitioner(session: AsyncSession, user: Principal) -> Practitioner | None:
    """The signed-in practitioner's profile, or None before onboarding's first step."""
    try:
        return await manage.own_profile(session, user)
    except NotFound:
        return None


async def progress_of(session: AsyncSession, user: Principal) -> Progress:
    practitioner = await own_practitioner(session, user)
    if practitioner is None:
        return Progress(None, [], [], False)
    return Progress(
        practitioner,
        await manage.list_documents(session, practitioner.id),
        await manage.list_services(session, practitioner),
        await manage.rules_of(session, practitioner) is not None,
    )


async def modalities(session: AsyncSession) -> list[tuple[str, str]]:
    return [(m.slug, m.name) for m, _ in await practitioners.list_modalities(session)]


def _profile_values(practitioner: Practitioner | None, default_name: str) -> dict[str, Any]:
    if practitioner is None:
        return {
            "display_name": default_name,
            "headline": "",
            "bio": "",
            "experience_years": "",
            "hourly_rate": "",
            "specializations": [],
            "languages": "English",
            "timezone": "Asia/Kolkata",
            "offers_online": True,
            "offers_in_person": False,
        }
    return {
        "display_name": practitioner.display_name,
        "headline": practitioner.headline,
        "bio": practitioner.bio,
        "experience_years": str(practitioner.experience_years),
        "hourly_rate": str(practitioner.hourly_rate),
        "specializations": list(practitioner.specializations),
        "languages": ", ".join(practitioner.languages),
        "timezone": practitioner.timezone,
        "offers_online": practitioner.offers_online,
        "offers_in_person": practitioner.offers_in_person,
    }


async def onboarding_page(
    request: Request,
    session: AsyncSession,
    user: Principal,
    step: str | None = None,
    *,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    """The wizard at ``step`` (default: the first step not done yet)."""
    progress = await progress_of(session, user)
    keys = [key for key, _ in STEPS]
    if step not in (*keys, "done"):
        step = progress.next_step
    if progress.practitioner is None:
        step = "profile"  # nothing else can be saved before the profile exists
    context: dict[str, Any] = {
        "progress": progress,
        "p": progress.practitioner,
        "steps": STEPS,
        "step": step,
        "section": "profile",
        **extra,
    }
    if step == "profile" and "values" not in extra:
        account = await identity.get_user(session, user.user_id)
        name = account.full_name if account is not None else ""
        context["values"] = _profile_values(progress.practitioner, name)
    if step == "profile":
        context["modalities"] = await modalities(session)
        context["zones"] = sorted({*COMMON_ZONES, context["values"]["timezone"]})
    if step == "services":
        context.setdefault("modalities", await modalities(session))
        context.setdefault("values", {"mode": "online", "currency": "INR"})
        context["modes"] = MODES
    if step == "availability" and progress.practitioner is not None:
        context.update(await editor_context(session, progress.practitioner, extra))
    if step == "done" and progress.practitioner is not None:
        context["history"] = await manage.verification_history(session, progress.practitioner.id)
    return render(request, "practitioner/onboarding.html", context, status_code=status_code)


# The availability editor.

DEFAULT_HOURS = {day: [("09:00", "17:00")] for day in WEEKDAYS[:5]}
SETTINGS = (
    "slot_interval_minutes",
    "buffer_before_minutes",
    "buffer_after_minutes",
    "min_notice_minutes",
    "max_advance_days",
    "daily_booking_limit",
)
MAX_ROWS = 8  # ranges per day and override rows: more than anyone needs, bounded for the parser
_WEEKLY_PATH = re.compile(r"weeklyHours\[(\d+)\](?:\.(start|end|day))?")
_OVERRIDE_PATH = re.compile(r"overrides\[(\d+)\](?:\.intervals\[(\d+)\])?(?:\.(start|end|date))?")
_MENTION = re.compile(r"(?:weeklyHours|overrides)\[\d+\](?:\.intervals\[\d+\])?")


@dataclass
class Editor:
    """The availability form's state: rows of hours per weekday, date-override rows (no hours
    on a date means a day off), the time zone and the booking settings, all as typed."""

    timezone: str
    weekly: dict[str, list[tuple[str, str]]]
    overrides: list[tuple[str, str, str]]
    settings: dict[str, str]
    # Filled by ``payload()``: where each payload entry came from, to put errors on its inputs.
    _weekly_rows: list[tuple[str, int]] = field(default_factory=list)
    _override_rows: list[list[int]] = field(default_factory=list)

    @classmethod
    def from_rules(cls, rules: dict[str, Any] | None, fallback_zone: str) -> Editor:
        if rules is None:
            return cls(
                timezone=fallback_zone,
                weekly={day: list(DEFAULT_HOURS.get(day, [])) for day in WEEKDAYS},
                overrides=[],
                settings={
                    "slot_interval_minutes": "60",
                    "buffer_before_minutes": "0",
                    "buffer_after_minutes": "0",
                    "min_notice_minutes": "240",
                    "max_advance_days": "60",
                    "daily_booking_limit": "",
                },
            )
        weekly: dict[str, list[tuple[str, str]]] = {day: [] for day in WEEKDAYS}
        for item in rules.get("weeklyHours", []):
            end = "00:00" if item["end"] == "24:00" else item["end"]  # a time input's midnight
            weekly.setdefault(item["day"], []).append((item["start"], end))
        overrides = []
        for item in rules.get("overrides", []):
            if not item["intervals"]:
                overrides.append((item["date"], "", ""))
            for interval in item["intervals"]:
                end = "00:00" if interval["end"] == "24:00" else interval["end"]
                overrides.append((item["date"], interval["start"], end))
        limit = rules.get("dailyBookingLimit")
        return cls(
            timezone=rules["timezone"],
            weekly=weekly,
            overrides=overrides,
            settings={
                "slot_interval_minutes": str(rules["slotIntervalMinutes"]),
                "buffer_before_minutes": str(rules["bufferBeforeMinutes"]),
                "buffer_after_minutes": str(rules["bufferAfterMinutes"]),
                "min_notice_minutes": str(rules["minNoticeMinutes"]),
                "max_advance_days": str(rules["maxAdvanceDays"]),
                "daily_booking_limit": "" if limit is None else str(limit),
            },
        )

    @classmethod
    def from_form(cls, form: FormData) -> Editor:
        def text(name: str) -> str:
            value = form.get(name)
            return value.strip()[:64] if isinstance(value, str) else ""

        weekly: dict[str, list[tuple[str, str]]] = {
            day: [
                (text(f"weekly_{day}_{i}_start"), text(f"weekly_{day}_{i}_end"))
                for i in range(MAX_ROWS)
                if f"weekly_{day}_{i}_start" in form
            ]
            for day in WEEKDAYS
        }
        overrides = [
            (text(f"override_{i}_date"), text(f"override_{i}_start"), text(f"override_{i}_end"))
            for i in range(MAX_ROWS)
            if f"override_{i}_date" in form
        ]
        return cls(
            timezone=text("timezone"),
            weekly=weekly,
            overrides=overrides,
            settings={name: text(name) for name in SETTINGS},
        )

    def apply(self, action: str) -> bool:
        """Add or remove a row (the form's non-saving buttons); False when nothing matched."""
        parts = action.split(":")
        if parts[0] == "add" and len(parts) == 2 and parts[1] in self.weekly:
            rows = self.weekly[parts[1]]
            if len(rows) < MAX_ROWS:
                rows.append(("", ""))
            return True
        if parts[0] == "remove" and len(parts) == 3 and parts[1] in self.weekly:
            rows = self.weekly[parts[1]]
            if parts[2].isdigit() and int(parts[2]) < len(rows):
                del rows[int(parts[2])]
            return True
        if action == "add-override":
            if len(self.overrides) < MAX_ROWS:
                self.overrides.append(("", "", ""))
            return True
        if parts[0] == "remove-override" and len(parts) == 2 and parts[1].isdigit():
            if int(parts[1]) < len(self.overrides):
                del self.overrides[int(parts[1])]
            return True
        return False

    def payload(self) -> dict[str, Any]:
        """The API's availability body; blank rows are left out, override rows grouped by date."""
        self._weekly_rows, self._override_rows = [], []
        weekly = []
        for day in WEEKDAYS:
            for row, (start, end) in enumerate(self.weekly.get(day, [])):
                if start or end:
                    weekly.append({"day": day, "start": start, "end": end})
                    self._weekly_rows.append((day, row))
        by_date: dict[str, list[int]] = {}
        for row, (on, start, end) in enumerate(self.overrides):
            if on or start or end:
                by_date.setdefault(on, []).append(row)
        overrides = []
        for on, rows in by_date.items():
            intervals = [
                {"start": self.overrides[r][1], "end": self.overrides[r][2]}
                for r in rows
                if self.overrides[r][1] or self.overrides[r][2]
            ]
            overrides.append({"date": on, "intervals": intervals})
            self._override_rows.append(
                [r for r in rows if self.overrides[r][1] or self.overrides[r][2]] or rows[:1]
            )
        body: dict[str, Any] = {
            "timezone": self.timezone,
            "weeklyHours": weekly,
            "overrides": overrides,
            "dailyBookingLimit": _number(self.settings.get("daily_booking_limit", "")) or None,
        }
        for name in SETTINGS[:-1]:
            body[_camel(name)] = _number(self.settings.get(name, ""))
        return body

    def errors_of(self, exc: ValidationFailed) -> FormErrors:
        """The rules engine's refusal, each message on the input it is about."""
        errors = FormErrors(summary="Please correct the availability marked below.")
        for detail in exc.details or []:
            path = str(detail.get("field", ""))
            message = _MENTION.sub("another range", str(detail.get("message", "")))
            errors.add(self._input_for(path), message)
        return errors

    def _input_for(self, path: str) -> str:
        weekly = _WEEKLY_PATH.fullmatch(path)
        if weekly and int(weekly[1]) < len(self._weekly_rows):
            day, row = self._weekly_rows[int(weekly[1])]
            part = weekly[2] if weekly[2] in ("start", "end") else "start"
            return f"weekly_{day}_{row}_{part}"
        override = _OVERRIDE_PATH.fullmatch(path)
        if override and int(override[1]) < len(self._override_rows):
            rows = self._override_rows[int(override[1])]
            if override[2] is not None and int(override[2]) < len(rows):
                part = override[3] if override[3] in ("start", "end") else "start"
                return f"override_{rows[int(override[2])]}_{part}"
            return f"override_{rows[0]}_date"
        return to_snake(path) if path else "timezone"


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _number(text: str) -> int | str | None:
    """A whole number as int; anything else as typed, so the rules engine names the problem."""
    if not text:
        return None
    return int(text) if text.isdigit() else text


async def editor_context(
    session: AsyncSession, practitioner: Practitioner, extra: dict[str, Any]
) -> dict[str, Any]:
    """What the availability form needs: its state (as typed, or as saved), zones, blocks."""
    editor = extra.get("editor") or Editor.from_rules(
        await manage.rules_of(session, practitioner), practitioner.timezone
    )
    return {
        "editor": editor,
        "weekdays": WEEKDAYS,
        "zones": sorted({*COMMON_ZONES, editor.timezone or practitioner.timezone}),
        "intervals": SLOT_INTERVAL_MINUTES,
        "blocks": await manage.list_blocked_times(session, practitioner),
        "block_zone": editor.timezone or practitioner.timezone,
    }
