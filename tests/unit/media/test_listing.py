"""What the listing accepts: filters are validated before any query is made."""

import pytest
from pydantic import ValidationError

from viewra.media.models.listing import ItemQuery, SortField


def test_defaults() -> None:
    q = ItemQuery()
    assert q.sort is SortField.TITLE and q.limit == 50 and q.status.value == "ready"


@pytest.mark.parametrize(
    "params",
    [
        {"limit": "0"},
        {"limit": "501"},
        {"sort": "size"},
        {"type": "book"},
        {"resolution": "2k"},
        {"year_min": "2000", "year_max": "1990"},
        {"year_min": "abc"},
    ],
)
def test_bad_parameters_are_refused(params: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        ItemQuery.model_validate(params)


def test_query_strings_are_coerced() -> None:
    q = ItemQuery.model_validate({"limit": "10", "year_min": "1990", "resolution": "4K"})
    assert (q.limit, q.year_min, q.resolution) == (10, 1990, "4k")
