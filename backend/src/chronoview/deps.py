"""Dependency aliases, so route signatures read like prose.

They take the `HTTPConnection` (the base of Request and WebSocket), so WebSocket routes use them too.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from starlette.requests import HTTPConnection

from chronoview.bus.hub import Hub
from chronoview.config import Settings
from chronoview.ingest import Pipeline
from chronoview.services import Services
from chronoview.storage.base import Storage


def get_services(connection: HTTPConnection) -> Services:
    services: Services = connection.app.state.services
    return services


def _settings(connection: HTTPConnection) -> Settings:
    return get_services(connection).settings


def _storage(connection: HTTPConnection) -> Storage:
    return get_services(connection).storage


def _pipeline(connection: HTTPConnection) -> Pipeline:
    return get_services(connection).pipeline


def _hub(connection: HTTPConnection) -> Hub:
    return get_services(connection).hub


ServicesDep = Annotated[Services, Depends(get_services)]
SettingsDep = Annotated[Settings, Depends(_settings)]
StorageDep = Annotated[Storage, Depends(_storage)]
PipelineDep = Annotated[Pipeline, Depends(_pipeline)]
HubDep = Annotated[Hub, Depends(_hub)]
