"""Channel configs: validation per kind, the split into plain and secret fields, and masking.

Secret fields are answered masked: a URL keeps its scheme and host (so people can tell which
hook it is) and loses the rest; any other secret is `MASK`. A PUT that sends a masked value
back keeps the stored secret.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from pydantic import ValidationError

from chronoview.notify.kinds import kind_module

MASK = "********"


class ConfigError(ValueError):
    """An invalid channel config; `errors` are pydantic-style dicts with `loc` inside `config`."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__("invalid channel config")
        self.errors = errors


def _mask_text(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme in ("http", "https") and parts.hostname:
        host = parts.hostname if parts.port is None else f"{parts.hostname}:{parts.port}"
        return f"{parts.scheme}://{host}/{MASK}"
    return MASK


def mask(value: Any) -> Any:
    """What the API shows of a secret field's value."""
    if isinstance(value, dict):
        return {key: MASK for key in value}
    if isinstance(value, str):
        return _mask_text(value)
    return MASK


def masked(kind: str, plain: dict[str, Any], secrets: dict[str, Any]) -> dict[str, Any]:
    """The config as the API answers it: plain fields as stored, secret ones masked."""
    shown = dict(plain)
    for name in kind_module(kind).SECRETS:
        if secrets.get(name) is not None:
            shown[name] = mask(secrets[name])
    return shown


def _restore(incoming: Any, stored: Any) -> Any:
    """A masked value sent back means "keep what is stored"."""
    if isinstance(incoming, dict) and isinstance(stored, dict):
        return {key: stored[key] if value == MASK and key in stored else value
                for key, value in incoming.items()}
    if stored is not None and incoming in (MASK, mask(stored)):
        return stored
    return incoming


def validate(kind: str, config: Any, stored_secrets: dict[str, Any] | None = None) -> tuple[
        dict[str, Any], dict[str, Any]]:
    """(plain fields, secret fields) of a valid config, or ConfigError naming the bad fields."""
    module = kind_module(kind)
    if not isinstance(config, dict):
        raise ConfigError([{"loc": [], "msg": "config must be a JSON object", "type": "dict_type"}])
    config = dict(config)
    if stored_secrets:
        for name in module.SECRETS:
            if name in config:
                config[name] = _restore(config[name], stored_secrets.get(name))
    try:
        model = module.Config.model_validate(config)
    except ValidationError as exc:
        # Only where and what: the input may be a secret and is never echoed.
        raise ConfigError([{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]}
                           for e in exc.errors()]) from None
    values = model.model_dump(mode="json", by_alias=True, exclude_none=True)
    secrets = {name: values.pop(name) for name in module.SECRETS if name in values}
    return values, secrets
