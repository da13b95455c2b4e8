"""Everything notifications need in one process, built in the app's lifespan.

The dispatcher runs in the serving process's event loop, or (NOTIFY_DISPATCHER=process, the default
under `chronoview serve`) in a child process of its own (process.py); the rest stays here.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

from chronoview.config import Settings
from chronoview.notify.crypto import SecretBox, SecretsUnreadable
from chronoview.notify.dispatcher import CONCURRENCY, SEND_TIMEOUT, Dispatcher
from chronoview.notify.kinds import Attempt, SendContext, kind_module
from chronoview.notify.message import build_message, sample_payload
from chronoview.notify.outbox import Outbox
from chronoview.notify.process import DispatcherProcess
from chronoview.notify.store import ChannelRecord, Database, NotifyStore
from chronoview.notify.tally import Tally, count_here
from chronoview.series import SeriesSource
from chronoview.storage.base import Storage


def build_dispatcher(storage: SeriesSource, db: Database, settings: Settings,
                     concurrency: int = CONCURRENCY, tally: Tally = count_here) -> Dispatcher:
    """A dispatcher over this database (the serving process's, or the dispatcher process's);
    `storage` is where it reads the series its snapshots freeze."""
    return Dispatcher(Outbox(db), storage, SecretBox(settings.secret_key, settings.secret_key_fallbacks),
                      base_url=settings.public_base_url, secret_key=settings.secret_key,
                      retention_seconds=settings.retention_days * 86_400.0, concurrency=concurrency,
                      tally=tally)


@dataclass(slots=True)
class Notifications:
    store: NotifyStore
    outbox: Outbox
    box: SecretBox
    dispatcher: Dispatcher  # the in-loop one; with a dispatcher process, only its HTTP client is used
    base_url: str
    process: DispatcherProcess | None = None

    @classmethod
    def create(cls, storage: Storage, db: Database, settings: Settings) -> Notifications:
        dispatcher = build_dispatcher(storage, db, settings)
        outbox, box = dispatcher.outbox, dispatcher.box
        process = DispatcherProcess(settings) if settings.notify_dispatcher == "process" else None
        return cls(NotifyStore(db), outbox, box, dispatcher, settings.public_base_url, process)

    async def start(self) -> None:
        # After a SECRET_KEY rotation, re-encrypt what the old key sealed, so it can be dropped.
        await self.store.reseal_channels(self.box.reseal)
        if self.process is not None:
            self.process.start()
        else:
            self.dispatcher.start()

    def wake(self) -> None:
        """Ingest stored incident changes: the dispatcher sends them now, not at its next poll."""
        if self.process is not None:
            self.process.wake()
        else:
            self.dispatcher.wake()

    async def stop(self) -> None:
        if self.process is not None:
            await self.process.stop()
        await self.dispatcher.stop()  # with a process, this closes the HTTP client of test sends

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
