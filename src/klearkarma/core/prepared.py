"""SQLAlchemy statements compiled once and run on the driver with each call's values.

SQLAlchemy caches compiled SQL, but finds the cached form by walking the whole statement for
its cache key on every execution, which for a large statement (search: CTEs, facets, a JSON
page) costs more than a millisecond of Python. A hot path that can say what shape its statement
has can skip that: build the statement with named ``bindparam``\\ s and no values, compile it
once per shape with ``for_driver``, and run the SQL with ``DriverStatement.args(values)``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ClauseElement
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.sql.compiler import SQLCompiler

_DIALECT = asyncpg_dialect()  # type: ignore[no-untyped-call]


@dataclass(frozen=True, slots=True)
class DriverStatement:
    """Positional SQL for asyncpg, and how to turn named values into its arguments."""

    sql: str
    names: tuple[str, ...]  # the parameter name of $1, $2, …
    fixed: Mapping[str, Any]  # values the statement itself carries, ready for the driver
    processors: Mapping[str, Callable[[Any], Any]]

    def args(self, values: Mapping[str, Any]) -> list[Any]:
        """The arguments for ``values`` (every parameter built without a value must be in it)."""
        out: list[Any] = []
        for name in self.names:
            if name in self.fixed:
                out.append(self.fixed[name])
                continue
            out.append(_driver_value(self.processors.get(name), values[name]))
        return out


def _driver_value(process: Callable[[Any], Any] | None, value: Any) -> Any:
    """``value`` as the dialect would send it (an enum member as its value, ...)."""
    return process(value) if process is not None and value is not None else value


def for_driver(statement: ClauseElement) -> DriverStatement:
    """Compile ``statement`` for asyncpg. Parameters built with a value (the statement's own
    constants) keep it; parameters built without one take theirs from ``args``."""
    compiled = statement.compile(dialect=_DIALECT)
    assert isinstance(compiled, SQLCompiler)
    names = tuple(compiled.positiontup or ())
    # The dialect's value conversions (an enum member to its value, ...), as execution applies.
    processors: dict[str, Callable[[Any], Any]] = {
        name: process for name, process in compiled._bind_processors.items() if callable(process)
    }
    binds = {name: bind for name, bind in compiled.binds.items() if name in names}
    fixed: dict[str, Any] = {}
    for name, bind in binds.items():
        if bind.required:
            continue
        fixed[name] = _driver_value(processors.get(name), bind.effective_value)
    return DriverStatement(compiled.string, names, fixed, processors)
