"""``?page=&limit=`` parsing and the pagination block of the envelope."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query

from klearkarma.core.schemas import Pagination

MAX_LIMIT = 100


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


async def page_params(
    page: Annotated[int, Query(ge=1, le=1_000_000, description="1-based page number")] = 1,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="items per page")] = 20,
) -> PageParams:
    return PageParams(page=page, limit=limit)


PageDep = Annotated[PageParams, Depends(page_params)]
