"""API shapes of the search context."""

from __future__ import annotations

import enum
from decimal import Decimal
from typing import Literal

from klearkarma.core.schemas import ApiModel
from klearkarma.practitioners.schemas import CatalogServiceOut, PractitionerSummary


class SearchSort(enum.StrEnum):
    RELEVANCE = "relevance"
    RATING = "rating"
    PRICE = "price"
    DISTANCE = "distance"
    EXPERIENCE = "experience"


MatchMode = Literal["all", "any", "browse"]


class Correction(ApiModel):
    original: str
    corrected: str


class PractitionerHit(PractitionerSummary):
    score: float
    snippet: str  # HTML: the profile text escaped, matches wrapped in <mark>…</mark>


class FacetCount(ApiModel):
    value: str
    count: int


class PriceBand(ApiModel):
    key: str
    min: Decimal | None
    max: Decimal | None
    count: int


class ModeCounts(ApiModel):
    online: int
    in_person: int


class Facets(ApiModel):
    specializations: list[FacetCount]
    languages: list[FacetCount]
    cities: list[FacetCount]
    modes: ModeCounts
    price_bands: list[PriceBand]


class QueryInfo(ApiModel):
    """What was searched: the words used, any spelling corrections, how they had to match."""

    query: str
    corrected_query: str | None
    corrections: list[Correction]
    match: MatchMode


class PractitionerSearchOut(QueryInfo):
    # True when more practitioners matched than a search ranks (300): the total and the facets
    # then describe the best 300, and the real number is larger.
    total_is_lower_bound: bool = False
    results: list[PractitionerHit]
    facets: Facets


class ServiceHit(CatalogServiceOut):
    practitioner_rating: float
    score: float
    snippet: str


class ServiceSearchOut(QueryInfo):
    results: list[ServiceHit]


class Suggestion(ApiModel):
    type: Literal["modality", "city", "service", "practitioner"]
    text: str
    id: str | None = None
