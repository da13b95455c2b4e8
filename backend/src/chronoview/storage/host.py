"""What the query mixins of SqlStorage (series, bulk, snapshots, retention, alerting) ask of it."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncConnection


class SqlHost(Protocol):
    dialect: str

    def connect(self, write: bool = False) -> AbstractAsyncContextManager[AsyncConnection]: ...
