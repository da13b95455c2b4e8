"""E-mail: a text and an HTML part over SMTP (aiosmtplib), with STARTTLS, TLS or neither."""

from __future__ import annotations

import re
from email.message import EmailMessage
from email.utils import formatdate
from typing import Annotated, Literal

import aiosmtplib
from pydantic import AfterValidator, BaseModel, Field

from chronoview.config import CommaList
from chronoview.notify.kinds import DELIVERY_HEADER, Attempt, SendContext
from chronoview.notify.message import Message

SECRETS = ("password",)
_ADDRESS = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+$")


def _address(value: str) -> str:
    if not _ADDRESS.match(value):
        raise ValueError(f"{value[:80]!r} is not an e-mail address")
    return value


Address = Annotated[str, Field(max_length=320), AfterValidator(_address)]


class Config(BaseModel):
    model_config = {"extra": "forbid", "populate_by_name": True}

    host: str = Field(min_length=1, max_length=255, pattern=r"^[A-Za-z0-9.:\[\]-]+$")
    port: int = Field(587, ge=1, le=65535)
    security: Literal["starttls", "tls", "none"] = "starttls"
    username: str | None = Field(None, max_length=320)
    password: str | None = Field(None, max_length=500)
    sender: Address = Field(alias="from")
    to: Annotated[CommaList[Address], Field(min_length=1, max_length=50)]


def build(config: Config, message: Message, delivery_id: str, now: float) -> EmailMessage:
    mail = EmailMessage()
    mail["Subject"] = message.title
    mail["From"] = config.sender
    mail["To"] = ", ".join(config.to)
    mail["Date"] = formatdate(now, usegmt=True)
    # The same id on every attempt: a mail system that got it twice can tell.
    mail["Message-ID"] = f"<{delivery_id}@chronoview>"
    mail[DELIVERY_HEADER] = delivery_id
    mail.set_content(message.text())
    mail.add_alternative(message.html(), subtype="html")
    return mail


async def send(config: Config, message: Message, ctx: SendContext) -> Attempt:
    mail = build(config, message, ctx.delivery_id, ctx.now)
    try:
        await aiosmtplib.send(
            mail, hostname=config.host, port=config.port,
            username=config.username or None, password=config.password or None,
            use_tls=config.security == "tls", start_tls=config.security == "starttls",
            timeout=ctx.timeout,
        )
    except aiosmtplib.SMTPResponseException as exc:
        detail = f"SMTP {exc.code}: {exc.message[:200]}"
        # 4xx is the server's "try again later"; 5xx (bad address, refused login) will not heal.
        return Attempt("retry" if 400 <= exc.code < 500 else "fail", exc.code, error=detail)
    except (aiosmtplib.SMTPTimeoutError, TimeoutError):
        return Attempt("retry", error=f"no answer within {ctx.timeout:g} s")
    except (aiosmtplib.SMTPException, OSError) as exc:
        return Attempt("retry", error=f"could not reach the SMTP server ({type(exc).__name__})")
    return Attempt("ok", 250)
