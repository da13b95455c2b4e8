"""Settings: one class read from the environment and `.env`, with one clear line per bad value."""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache
from typing import Annotated, Literal, TypeVar
from urllib.parse import urlsplit

from pydantic import AfterValidator, BeforeValidator, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# The one definition of a metric name (SPEC §5). schemas.MetricName validates it in models and
# parameters; code outside pydantic asks is_metric_name (not METRIC_NAME.match: `$` also matches
# before a final newline, where pydantic's engine does not).
METRIC_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$")
# Metrics one request may name (a WebSocket's metric= list, an export's).
MAX_METRICS = 50
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./data/chronoview.db"
# Connections (WebSockets included) one client address may hold at once (serving/http.py).
MAX_CONNECTIONS_PER_CLIENT = 128
# user:password@ in a URL setting: the password never reaches the one-line error.
_URL_PASSWORD = re.compile(r"(//[^/@:]*:)[^/@]*@")
_PLACEHOLDER_SECRET = "change_me"  # noqa: S105 - the seed's placeholder, refused on public binds


def is_metric_name(name: object) -> bool:
    """Whether `name` is a metric name: the same answer as schemas.MetricName."""
    return type(name) is str and METRIC_NAME.fullmatch(name) is not None


class SettingsError(Exception):
    """A bad setting; the message is one line naming the variable and the problem."""


def split_csv(value: object) -> object:
    """A comma-separated value as a list of its non-blank items; a value of any other type as it is."""
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


_Item = TypeVar("_Item")
# A list given as one comma-separated string (an environment variable, a form field) or as a list;
# each item is validated by its own type.
CommaList = Annotated[list[_Item], NoDecode, BeforeValidator(split_csv)]


def _origin(origin: str) -> str:
    if origin != "*" and not re.match(r"^https?://[^/\s]+$", origin):
        raise ValueError(f"{origin!r} is not an origin like http://host:port")
    return origin


def _proxy(proxy: str) -> str:
    if proxy != "*":
        try:
            ipaddress.ip_network(proxy, strict=False)
        except ValueError:
            raise ValueError(f"{proxy!r} is not an IP address, a network or *") from None
    return proxy


def _host(host: str) -> str:
    if not re.fullmatch(r"\*|(\*\.)?[A-Za-z0-9._-]+|\[?[0-9A-Fa-f:.]+\]?", host):
        raise ValueError(f"{host!r} is not a host name, an address, '*' or '*.domain'")
    return host.lower()


def _metric(name: str) -> str:
    if not is_metric_name(name):
        raise ValueError(f"{name!r} is not a valid metric name")
    return name


def _topic_filter(topic: str) -> str:
    """MQTT topic filter rules: `#` only as a whole last level, `+` only as a whole level."""
    levels = topic.split("/")
    if (any("#" in level and (level != "#" or i != len(levels) - 1) for i, level in enumerate(levels))
            or any("+" in level and level != "+" for level in levels) or "\x00" in topic):
        raise ValueError(f"{topic!r} is not an MQTT topic filter")
    return topic


Origin = Annotated[str, AfterValidator(_origin)]
Proxy = Annotated[str, AfterValidator(_proxy)]
HostPattern = Annotated[str, AfterValidator(_host)]
SimulatedMetric = Annotated[str, AfterValidator(_metric)]
TopicFilter = Annotated[str, AfterValidator(_topic_filter)]


class Settings(BaseSettings):
    """Every setting of SPEC §7, with the seed's variable names."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=False)

    app_host: str = "127.0.0.1"
    app_port: int = Field(8000, ge=1, le=65535)
    cors_origins: CommaList[Origin] = []
    database_url: str = DEFAULT_DATABASE_URL
    database_pooler: Literal["session", "transaction", ""] = ""
    redis_url: str = ""
    secret_key: str = _PLACEHOLDER_SECRET
    # SPEC §11: earlier SECRET_KEYs, still accepted for decrypting channel secrets while rotating.
    secret_key_fallbacks: CommaList[str] = []
    # SPEC §11/§13: the address people use, for links in notifications (empty: the bound address);
    # its host is also an allowed Host.
    public_url: str = ""
    ingest_token: str = ""
    # SPEC §11: guards the management endpoints (api/auth.py); empty means local clients only.
    admin_token: str = ""
    alert_window_seconds: float = Field(300.0, gt=0, le=7 * 24 * 3600)
    alert_sigma: float = Field(2.5, gt=0, le=1000)
    alert_min_points: int = Field(5, ge=2, le=1_000_000)
    simulated_metrics: CommaList[SimulatedMetric] = ["traffic", "cpu", "orders"]
    simulation_interval_seconds: float = Field(1.0, ge=0.01, le=3600)
    retention_days: float = Field(30.0, gt=0, le=36500)
    # Beyond SPEC §7: how many messages a WebSocket that cannot keep up may have waiting before it
    # is closed with 1013 (SPEC §6 asks for a bound, not a number).
    ws_queue_max: int = Field(20_000, ge=1, le=10_000_000)
    # SPEC §7, turn 2. Points per metric window; past it the oldest points leave first.
    alert_window_max_points: int = Field(100_000, ge=2, le=10_000_000)
    # Host header allow-list (DNS rebinding); empty means the loopback names, the bound address and
    # PUBLIC_URL's host. "*" allows any host; "*.example.com" any subdomain of example.com.
    allowed_hosts: CommaList[HostPattern] = []
    # Default expiry, in days, of snapshots with frozen data (`include_data`); 0 keeps them forever.
    snapshot_ttl_days: float = Field(30.0, ge=0, le=36500)
    # SPEC §12: the MQTT subscriber (sources/mqtt.py) runs only when MQTT_URL is set.
    mqtt_url: str = ""
    mqtt_topics: CommaList[TopicFilter] = ["chronoview/#"]
    mqtt_client_id: str = ""  # empty: chronoview-<hostname>
    # SPEC §12: the tags whose values go into a line-protocol metric name; `*` is every tag.
    line_protocol_tags: CommaList[str] = ["*"]
    # SPEC §13: proxies whose X-Forwarded-For / X-Forwarded-Proto are believed (addresses or
    # networks, or *). Empty trusts none: uvicorn's own default (loopback) would let any local
    # process rotate X-Forwarded-For past the per-client limits.
    forwarded_allow_ips: CommaList[Proxy] = []
    # Beyond SPEC: connections one client address may hold at once (a trusted proxy's are not
    # capped); past it a connection gets 429 and is closed. A load generator on one host needs more.
    max_connections_per_client: int = Field(MAX_CONNECTIONS_PER_CLIENT, ge=1, le=1_000_000)
    # Seconds between the SIGTERM that fails /ready and the stop (drain.py); a load balancer needs
    # about its check interval times its failure threshold.
    shutdown_drain_seconds: float = Field(0.0, ge=0, le=3600)
    # Where the notification dispatcher sends from: "process", a child process of the server's own
    # (notify/process.py), so a burst of sends takes no CPU from ingest's event loop; "loop", the
    # serving process's event loop; "auto" (the default), "process" under `chronoview serve` and
    # "loop" in an app started otherwise (`uvicorn --factory`, tests).
    notify_dispatcher: Literal["auto", "process", "loop"] = "auto"

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str) -> str:
        if value:
            parts = urlsplit(value)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError("must be empty or an http(s):// URL like https://metrics.example.com")
        return value.rstrip("/")

    @field_validator("mqtt_url")
    @classmethod
    def _mqtt_url(cls, value: str) -> str:
        if not value:
            return value
        url = urlsplit(value)
        if url.scheme not in ("mqtt", "mqtts") or not url.hostname:
            raise ValueError("must be empty or an mqtt://[user:password@]host[:port] or mqtts:// URL")
        try:
            url.port  # noqa: B018 - raises on a port that is not a number in 0..65535
        except ValueError as exc:
            raise ValueError(f"bad port: {exc}") from None
        return value

    @field_validator("mqtt_topics")
    @classmethod
    def _mqtt_topics(cls, filters: list[str]) -> list[str]:
        if not filters:
            raise ValueError("needs at least one topic filter")
        return filters

    @field_validator("mqtt_client_id")
    @classmethod
    def _mqtt_client_id(cls, value: str) -> str:
        if len(value.encode()) > 65535:
            raise ValueError("is longer than MQTT allows")
        return value

    @field_validator("line_protocol_tags")
    @classmethod
    def _tags(cls, keys: list[str]) -> list[str]:
        if "*" in keys and keys != ["*"]:
            raise ValueError("'*' (every tag) cannot be combined with tag keys")
        return keys

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        if not value.startswith(("sqlite", "postgresql", "postgres://")):
            raise ValueError("must be a sqlite+aiosqlite:// or postgresql(+asyncpg):// URL")
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str) -> str:
        if value and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must be empty or a redis://, rediss:// or unix:// URL")
        return value

    @model_validator(mode="after")
    def _secret_on_public_bind(self) -> Settings:
        if self.secret_key in (_PLACEHOLDER_SECRET, "") and not _is_loopback(self.app_host):
            raise ValueError(
                "SECRET_KEY: must be set to a secret of your own (not empty, not 'change_me') when "
                "APP_HOST is not a loopback address"
            )
        return self

    @model_validator(mode="after")
    def _window_cap(self) -> Settings:
        if self.alert_window_max_points < self.alert_min_points:
            raise ValueError("ALERT_WINDOW_MAX_POINTS: must be at least ALERT_MIN_POINTS")
        return self

    @property
    def public_base_url(self) -> str:
        """PUBLIC_URL, or the address the server is bound to when it is not set."""
        if self.public_url:
            return self.public_url
        host = f"[{self.app_host}]" if ":" in self.app_host else self.app_host
        return f"http://{host}:{self.app_port}"

    @property
    def host_allow_list(self) -> frozenset[str]:
        """ALLOWED_HOSTS, or its default: loopback names, the bound address, PUBLIC_URL's host."""
        if self.allowed_hosts:
            return frozenset(self.allowed_hosts)
        hosts = {"localhost", "127.0.0.1", "::1", self.app_host.lower().strip("[]")}
        if self.public_url:
            hosts.add((urlsplit(self.public_url).hostname or "").lower())
        return frozenset(hosts)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def load_settings(**overrides: object) -> Settings:
    """Build settings, turning a validation error into one readable line."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        # The setting's name, not where in its list the bad item stands (the message quotes it).
        field = ".".join(str(part) for part in first["loc"] if not isinstance(part, int))
        message = first["msg"].removeprefix("Value error, ")
        if field:
            got = _URL_PASSWORD.sub(r"\1***@", str(first.get("input")))
            raise SettingsError(f"{field.upper()}: {message} (got {got!r})") from None
        raise SettingsError(message) from None


@lru_cache
def get_settings() -> Settings:
    return load_settings()
