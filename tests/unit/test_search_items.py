"""No search-index item grows with the platform: the items of 1,000,000 projects of one
status, built with the real item builders (moto would accept an over-size item; DynamoDB
refuses anything over 400 KB)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from chalicelib.dal.search_index import bulk_index_items
from chalicelib.dal.search_items import item_size
from chalicelib.logic.search.model import ProjectDocument

LIMIT = 100 * 1024


def _documents(n: int) -> Iterator[tuple[ProjectDocument, int]]:
    """``n`` online projects sharing their common words (中国, 医疗, the city...) as a real
    platform's do, each with its own number: every shared term's postings cover all of them."""
    for i in range(n):
        yield (
            ProjectDocument(
                project_id=f"01J{i:023d}",
                status="online",
                title=f"中国医疗救助项目{i}",
                summary="为困难家庭提供医疗救助",
                description="武汉 疫情防控 物资 covid",
                category="医疗救助",
                province="湖北省",
                city="武汉市",
                org_id="org-1",
                campaign_ids=("camp-99",),
                created_at=f"2026-01-01T00:00:{i % 60:02d}Z",
                updated_at="2026-01-01T00:00:00Z",
                start_date="2026-01-01",
                end_date="2026-12-31",
                end_at="2026-12-31T16:00:00Z",
                target_fen=10_000_000,
            ),
            i * 100,
        )


def largest_items(n: int) -> tuple[int, int, dict[str, int]]:
    """(largest item size, number of items, largest item size by kind) for ``n`` projects."""
    largest = count = 0
    by_kind: dict[str, int] = {}
    for item in bulk_index_items(_documents(n)):
        size = item_size(item)
        count += 1
        largest = max(largest, size)
        pk = item["pk"]["S"]
        kind = (
            "card" if pk.startswith("card|") else "count" if pk.endswith("|count")
            else "column" if "|col:" in pk else "posting"
        )  # fmt: skip
        by_kind[kind] = max(by_kind.get(kind, 0), size)
    return largest, count, by_kind


def test_item_size_matches_dynamodb_rules() -> None:
    # 2 + 5 bytes (names) + 2 (S "ab") + 3 (N "123" -> 2 bytes + 1) + 3 (SS of "x","yy")
    assert item_size({"pk": {"S": "ab"}, "count": {"N": "123"}, "s": {"SS": ["x", "yy"]}}) == 2 + 2 + 5 + 3 + 1 + 3


def test_items_do_not_grow_from_a_thousand_projects_to_ten_thousand() -> None:
    small, _, _ = largest_items(1_000)
    large, _, _ = largest_items(10_000)
    assert large <= small + 16  # a longer project number is the only difference


@pytest.mark.slow
def test_a_million_projects_of_one_status_keep_every_item_under_100_kb() -> None:
    largest, count, by_kind = largest_items(1_000_000)
    assert count > 1_000_000 * 20  # every project really was built: card, postings, columns
    assert largest < LIMIT, by_kind
