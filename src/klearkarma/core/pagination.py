"""``?page=&limit=`` parsing and the pagination block of the envelope."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query
from pydantic import Field

from klearkarma.core.query_model import QueryModel
from klearkarma.core.schemas import Pagination

MAX_LIMIT = 100
MAX_PAGE = 1_000_000


@dataclass(frozen=True, slots=True)
class PageParams:
    page: int
    limit: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.limit

    def pagination(self, total: int) -> Pagination:
        return Pagination(
            page=self.page,
            limit=self.limit,
            total=total,
            total_pages=math.ceil(total / self.limit) if total else 0,
        )


_PAGE = "1-based page number"
_LIMIT = "items per page"


async def page_params(
    page: Annotated[int, Query(ge=1, le=MAX_PAGE, description=_PAGE)] = 1,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description=_LIMIT)] = 20,
) -> PageParams:
    return PageParams(page=page, limit=limit)


PageDep = Annotated[PageParams, Depends(page_params)]


class PageQuery(QueryModel):
    """``page_params`` as part of a ``QueryModel`` (``core.query_model``)."""

    page: int = Field(1, ge=1, le=MAX_PAGE, description=_PAGE)
    limit: int = Field(20, ge=1, le=MAX_LIMIT, description=_LIMIT)

    @property
    def paging(self) -> PageParams:
        return PageParams(page=self.page, limit=self.limit)
