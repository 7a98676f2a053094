"""The newest rows of a record that keeps growing, and how many there are in all: selectors
return it and screens show 「新しいN件を表示しています（全M件）」 from it."""
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db.models import QuerySet

T = TypeVar("T")


@dataclass(frozen=True)
class Newest(Generic[T]):
    """The newest rows of one person's record and how many there are in all: a person
    protected for years gathers hundreds of requests, notices and amendments, and a page
    listing them all grows without bound (issue 14)."""

    rows: list[T]
    total: int

    @property
    def more(self) -> bool:
        return self.total > len(self.rows)


def newest(qs: "QuerySet[Any, T]", limit: int | None) -> Newest[T]:
    """The first `limit` rows of `qs` (ordered newest first by the caller), all of them for None;
    counted only when the page is full."""
    rows = list(qs if limit is None else qs[:limit])
    return Newest(rows, qs.count() if limit is not None and len(rows) == limit else len(rows))
