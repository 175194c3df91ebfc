"""Form handling for pages: field errors from the services' refusals, and undoing refused work.

Page forms post plain ``application/x-www-form-urlencoded`` fields named in snake_case. A service
refuses with an ``AppError`` (``ValidationFailed`` carries camelCase field names, as in the API);
``FormErrors.of`` turns that into messages per form field plus a summary for the top of the form.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from pydantic import ValidationError
from pydantic.alias_generators import to_snake
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from klearkarma.core.errors import AppError, ValidationFailed


@dataclass
class FormErrors:
    """What went wrong with a form: ``fields`` by input name, and a sentence for the summary."""

    fields: dict[str, str] = field(default_factory=dict)
    summary: str | None = None

    def __bool__(self) -> bool:
        return bool(self.fields or self.summary)

    def add(self, name: str, message: str) -> None:
        self.fields.setdefault(name, message)

    @classmethod
    def of(
        cls, exc: AppError | ValidationError, aliases: dict[str, str] | None = None
    ) -> FormErrors:
        """Errors from a service refusal or a pydantic validation of the form's values."""
        aliases = aliases or {}
        errors = cls()
        if isinstance(exc, ValidationError):
            for item in exc.errors():
                loc = [str(part) for part in item.get("loc", ())]
                name = to_snake(loc[0]) if loc else "form"
                message = str(item.get("msg", "This value is not valid."))
                errors.add(aliases.get(name, name), message.removeprefix("Value error, "))
            errors.summary = "Please correct the fields marked below."
            return errors
        if isinstance(exc, ValidationFailed) and exc.details:
            for detail in exc.details:
                name = to_snake(str(detail.get("field", "form")))
                errors.add(aliases.get(name, name), str(detail.get("message", "")))
            errors.summary = (
                exc.message
                if exc.message != ValidationFailed.default_message
                else "Please correct the fields marked below."
            )
            return errors
        errors.summary = exc.message
        return errors


@asynccontextmanager
async def refusable(session: AsyncSession) -> AsyncIterator[None]:
    """Run a form's use case in a savepoint, so a refusal can be shown on the page.

    A refused form re-renders instead of raising, so the request's transaction still commits: the
    savepoint undoes whatever the use case did before refusing, unless the refusal itself must be
    kept (``keep_changes``: a failed login's counter and event). Objects the use case did not
    touch stay loaded and usable for the page.
    """
    savepoint = await session.begin_nested()
    try:
        yield
    except AppError as exc:
        if exc.keep_changes:
            await savepoint.commit()
        else:
            await savepoint.rollback()
        raise
    except BaseException:
        await savepoint.rollback()
        raise
    await savepoint.commit()


def page_number(request: Request, name: str = "page") -> int:
    """The page a list link asks for (``?page=3``); 1 for anything that is not a positive whole
    number, so a hand-edited link shows the first page rather than an error."""
    try:
        return max(1, int(request.query_params.get(name, "1")))
    except ValueError:
        return 1
