"""Identifiers: random and sortable (ULID), never enumerable."""

from ulid import ULID


def new_id() -> str:
    return str(ULID())
