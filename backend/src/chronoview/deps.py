"""Dependency aliases, so route signatures read like prose.

They take the `HTTPConnection` (the base of Request and WebSocket), so WebSocket routes use them too.
They are `async def` although they never await: FastAPI runs a plain `def` dependency in a worker
thread, two thread hand-offs per request on the ingest path.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from starlette.requests import HTTPConnection

from chronoview.bus.hub import Hub
from chronoview.config import Settings
from chronoview.ingest import Pipeline
from chronoview.notify.service import Notifications
from chronoview.services import Services
from chronoview.storage.base import Storage


def services_of(connection: HTTPConnection) -> Services:
    services: Services = connection.app.state.services
    return services


async def get_services(connection: HTTPConnection) -> Services:
    return services_of(connection)


async def _settings(connection: HTTPConnection) -> Settings:
    return services_of(connection).settings


async def _storage(connection: HTTPConnection) -> Storage:
    return services_of(connection).storage


async def _pipeline(connection: HTTPConnection) -> Pipeline:
    return services_of(connection).pipeline


async def _hub(connection: HTTPConnection) -> Hub:
    return services_of(connection).hub


async def _notifications(connection: HTTPConnection) -> Notifications:
    return services_of(connection).notifications


ServicesDep = Annotated[Services, Depends(get_services)]
SettingsDep = Annotated[Settings, Depends(_settings)]
StorageDep = Annotated[Storage, Depends(_storage)]
PipelineDep = Annotated[Pipeline, Depends(_pipeline)]
HubDep = Annotated[Hub, Depends(_hub)]
NotificationsDep = Annotated[Notifications, Depends(_notifications)]
