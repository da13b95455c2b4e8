"""Persistence: one SQL implementation behind the `Storage` protocol."""

from chronoview.storage.base import CatalogEntry, Storage, StorageUnavailable
from chronoview.storage.sql import SqlStorage

__all__ = ["CatalogEntry", "SqlStorage", "Storage", "StorageUnavailable", "create_storage"]


def create_storage(url: str, pooler: str = "") -> Storage:
    return SqlStorage(url, pooler)
