"""Everything notifications need in one process, built in the app's lifespan."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

from chronoview.config import Settings
from chronoview.notify.crypto import SecretBox, SecretsUnreadable
from chronoview.notify.dispatcher import SEND_TIMEOUT, Dispatcher
from chronoview.notify.kinds import Attempt, SendContext, kind_module
from chronoview.notify.message import build_message, sample_payload
from chronoview.notify.outbox import Outbox
from chronoview.notify.store import ChannelRecord, Database, NotifyStore
from chronoview.storage.base import Storage


@dataclass(slots=True)
class Notifications:
    store: NotifyStore
    outbox: Outbox
    box: SecretBox
    dispatcher: Dispatcher
    base_url: str

    @classmethod
    def create(cls, storage: Storage, db: Database, settings: Settings) -> Notifications:
        box = SecretBox(settings.secret_key, settings.secret_key_fallbacks)
        outbox = Outbox(db)
        dispatcher = Dispatcher(outbox, storage, box, base_url=settings.public_base_url,
                                secret_key=settings.secret_key,
                                retention_seconds=settings.retention_days * 86_400.0)
        return cls(NotifyStore(db), outbox, box, dispatcher, settings.public_base_url)

    async def start(self) -> None:
        # After a SECRET_KEY rotation, re-encrypt what the old key sealed, so it can be dropped.
        await self.store.reseal_channels(self.box.reseal)
        self.dispatcher.start()

    async def stop(self) -> None:
        await self.dispatcher.stop()

    async def send_test(self, channel: ChannelRecord) -> tuple[str, Attempt]:
        """Send a made-up incident to the channel now; (delivery id, how it went)."""
        delivery_id = str(uuid.uuid4())
        try:
            secrets = self.box.open(channel.secrets)
        except SecretsUnreadable as exc:
            return delivery_id, Attempt("fail", error=str(exc))
        module = kind_module(channel.kind)
        config = module.Config.model_validate({**channel.config, **secrets})
        now = time.time()
        message = build_message("test", sample_payload(now), self.base_url, None)
        ctx = SendContext(self.dispatcher.http, delivery_id, channel.name, self.base_url, now,
                          SEND_TIMEOUT)
        return delivery_id, await module.send(config, message, ctx)
