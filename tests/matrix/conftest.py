"""Fixtures for the Matrix backend tests: one Synapse per session, one bot per test.

Synapse is started once (about two seconds) and every test registers fresh
users, so tests stay independent without paying the start-up each time. Each
app is a copy of the session's reference-data database (``refdata_db`` from
tests/conftest.py) on the system clock, since Synapse's clock is real too.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import suppress
from dataclasses import replace
from pathlib import Path
from typing import Any, Protocol

import pytest

from bot.app import App
from bot.backends.matrix.backend import MatrixBackend
from bot.core.config import Config, MatrixConfig
from bot.demo.seed import seed
from storage.consultations import PhaseKind
from tests.matrix.matrix_person import Person
from tests.matrix.synapse_server import Synapse, missing_reason

NewPerson = Callable[[str], Awaitable[Person]]


@pytest.fixture(scope="session")
def synapse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synapse]:
    reason = missing_reason()
    if reason is not None:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"CI must run the Matrix tests against Synapse. {reason}")
        pytest.skip(reason)
    server = Synapse.start(tmp_path_factory.mktemp("synapse"))
    try:
        yield server
    finally:
        server.stop()


class NewApp(Protocol):
    def __call__(self, phase: PhaseKind = "needs") -> Awaitable[App]: ...


@pytest.fixture
async def new_app(tmp_path: Path, refdata_db: Path) -> AsyncIterator[NewApp]:
    """Apps on fresh copies of the template: a second one plays a wiped database.

    ``phase`` is the demo phase open today (bot/demo.py seeds the proposals,
    votes and supports a consultation has by then).
    """
    apps: list[App] = []

    async def create(phase: PhaseKind = "needs") -> App:
        path = tmp_path / f"g{len(apps)}.db"
        shutil.copyfile(refdata_db, path)
        application = await App.create(Config(db_path=str(path)))
        await seed(application.services.db, application.services.clock.now(), phase)
        apps.append(application)
        return application

    try:
        yield create
    finally:
        for application in apps:
            await application.close()


@pytest.fixture
async def app(new_app: NewApp) -> App:
    return await new_app()


@pytest.fixture
async def bot_config(synapse: Synapse, tmp_path: Path) -> MatrixConfig:
    localpart = synapse.unique("guichet")
    password = "secret-" + localpart
    await asyncio.to_thread(synapse.register, localpart, password)
    return MatrixConfig(
        homeserver=synapse.url,
        user_id=synapse.user_id(localpart),
        password=password,
        store_path=str(tmp_path / "matrix-store"),
    )


class Bots:
    """Starts backends as the runner does; stops one (a restart) or all (teardown)."""

    def __init__(self, config: MatrixConfig) -> None:
        self.config = config
        self._running: dict[int, tuple[asyncio.Event, asyncio.Task[None], MatrixBackend]] = {}

    def launch(self, app: App, *, max_limit_exceeded: int = 3, **overrides: Any) -> MatrixBackend:
        """The backend running for ``app``, without waiting for it to connect."""
        backend = MatrixBackend(
            replace(self.config, **overrides),
            sync_timeout_ms=5_000,
            max_limit_exceeded=max_limit_exceeded,
        )
        app.add_backend(backend)
        stop = asyncio.Event()
        task = asyncio.create_task(backend.run(app, stop))
        self._running[id(backend)] = (stop, task, backend)
        return backend

    def task(self, backend: MatrixBackend) -> asyncio.Task[None]:
        return self._running[id(backend)][1]

    async def start(
        self, app: App, *, max_limit_exceeded: int = 3, **overrides: Any
    ) -> MatrixBackend:
        backend = self.launch(app, max_limit_exceeded=max_limit_exceeded, **overrides)
        task = self.task(backend)
        ready = asyncio.create_task(backend.connectivity.wait_up())
        await asyncio.wait({ready, task}, timeout=20, return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            ready.cancel()
            task.result()
        assert ready.done(), "the Matrix backend did not finish its first sync"
        return backend

    async def stop(self, backend: MatrixBackend) -> None:
        stop, task, _ = self._running.pop(id(backend))
        stop.set()
        await asyncio.wait_for(task, timeout=10)
        await backend.close()

    async def stop_all(self) -> None:
        for stop, task, backend in self._running.values():
            stop.set()
            with suppress(Exception):
                await asyncio.wait_for(task, timeout=10)
            await backend.close()
        self._running.clear()


@pytest.fixture
async def bots(bot_config: MatrixConfig) -> AsyncIterator[Bots]:
    runner = Bots(bot_config)
    try:
        yield runner
    finally:
        await runner.stop_all()


@pytest.fixture
async def new_person(synapse: Synapse, tmp_path: Path) -> AsyncIterator[NewPerson]:
    people: list[Person] = []

    async def create(prefix: str = "person") -> Person:
        person = await Person.create(synapse, prefix, tmp_path / "people")
        await person.start()
        people.append(person)
        return person

    try:
        yield create
    finally:
        for person in people:
            await person.stop()
