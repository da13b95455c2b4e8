"""Dependency aliases, so route signatures read like prose."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from chronoview.config import Settings
from chronoview.ingest import Pipeline
from chronoview.services import Services
from chronoview.storage.base import Storage


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def _settings(request: Request) -> Settings:
    return get_services(request).settings


def _storage(request: Request) -> Storage:
    return get_services(request).storage


def _pipeline(request: Request) -> Pipeline:
    return get_services(request).pipeline


ServicesDep = Annotated[Services, Depends(get_services)]
SettingsDep = Annotated[Settings, Depends(_settings)]
StorageDep = Annotated[Storage, Depends(_storage)]
PipelineDep = Annotated[Pipeline, Depends(_pipeline)]
