"""Keeping the co-construction spaces in step with the database.

The database says what should be: which collectivités are asked to confirm
they volunteer, which selected proposals have a room, who holds a place. The
keeper makes the platforms agree — invitations sent, Matrix rooms created,
people invited or removed, Telegram links sent, the staff told who joined —
and records each step once it is done. Network calls never run inside a
transaction (they would hold the database for everyone); a step cut short by
a crash or an outage is simply found again on the next pass, which runs when
something changed (``Services.on_workspace``) and every few minutes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from bot.backends.base import Backend, DeliveryError, RetryAfter
from bot.backends.workspace import Workspace
from bot.core.context import Recipient, Services
from bot.core.i18n import N_, Translator
from bot.core.messages import Reply
from bot.core.router import Command
from bot.delivery.fanout import notify
from storage import consultations, persons, proposals, volunteers, workspaces
from storage.consultations import Consultation
from storage.volunteers import Volunteer
from storage.workspaces import Member, Seat
from storage.workspaces import Workspace as Space

log = logging.getLogger(__name__)

PASS_INTERVAL = 300.0
"""Seconds between passes when nothing woke the keeper: retries what failed."""
SETTLE = 0.5
"""Changes come in bursts (a staff member approving several volunteers): one pass."""

PLATFORM_NAMES = {"matrix": N_("Matrix room"), "telegram": N_("Telegram group")}
IMPLIES = N_(
    "Volunteering means building the service with the consultation's team and the other "
    "volunteer collectivités over the coming months: a few working sessions, trying the "
    "service out on your territory and saying what works."
)


@dataclass
class Tally:
    """What one pass did, for the logs and the tests."""

    invited: int = 0
    rooms: int = 0
    admitted: int = 0
    removed: int = 0
    reported: int = 0
    failed: int = 0


def _named(t: Translator, number: int, title: str) -> str:
    return t._("{number} “{title}”", number=t._("no. {number}", number=number), title=title)


def _invitation(volunteer: Volunteer, r: Recipient) -> Reply:
    return Reply(
        r._(
            "Proposal {proposal} was selected, and {collectivite} said it was ready to "
            "co-build it. Will it be one of its territoires référents?",
            proposal=_named(r.t, volunteer.proposal_number, volunteer.proposal_title),
            collectivite=volunteer.collectivite_name,
        )
        + "\n"
        + r._(IMPLIES)
        + "\n"
        + r._(
            "To confirm, or to decline, type {command}.",
            command=f"{r.cmd('cooperate')} {volunteer.proposal_number}",
        )
    )


def _admitted(space: Space, link: str, r: Recipient) -> Reply:
    named = _named(r.t, space.proposal_number, space.proposal_title)
    if link:
        return Reply(
            r._(
                "Here is your personal link to the working group of proposal {proposal}: "
                "{link}\nIt lets one person in: please do not pass it on.",
                proposal=named,
                link=link,
            )
        )
    return Reply(
        r._(
            "You are invited to the working room of proposal {proposal}: accept the "
            "invitation in your Matrix app.",
            proposal=named,
        )
    )


def _joined(space: Space, who: str, r: Recipient) -> Reply:
    return Reply(
        r._(
            "{who} joined the {platform} of proposal {proposal}.",
            who=who,
            platform=r._(PLATFORM_NAMES[space.backend]),
            proposal=_named(r.t, space.proposal_number, space.proposal_title),
        )
    )


def started(consultation: Consultation, now: datetime) -> bool:
    """The co-construction phase has opened (it stays the last phase)."""
    return any(p.kind == "coconstruction" and p.opens_at <= now for p in consultation.phases)


class WorkspaceKeeper:
    def __init__(
        self,
        services: Services,
        commands: Sequence[Command],
        backends: Mapping[str, Backend],
    ) -> None:
        self.services = services
        self.commands = commands
        self.backends = backends
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()

    def wake(self) -> None:
        self._wake.set()

    def _capabilities(self) -> dict[str, Workspace]:
        found: dict[str, Workspace] = {}
        for name, backend in self.backends.items():
            capability = getattr(backend, "workspace", None)
            if capability is not None:
                found[name] = capability
        return found

    async def run(self, stop: asyncio.Event, interval: float = PASS_INTERVAL) -> None:
        while not stop.is_set():
            try:
                await self.reconcile()
            except Exception:
                log.exception("co-construction spaces: pass failed")
            waiters = [asyncio.create_task(self._wake.wait()), asyncio.create_task(stop.wait())]
            await asyncio.wait(waiters, timeout=interval, return_when=asyncio.FIRST_COMPLETED)
            for waiter in waiters:
                waiter.cancel()
            if not stop.is_set():
                await asyncio.sleep(SETTLE)

    async def reconcile(self) -> Tally:
        """One pass over everything; never two at once."""
        self._wake.clear()
        tally = Tally()
        async with self._lock:
            consultation = await consultations.current(self.services.db)
            if consultation is None or not started(consultation, self.services.clock.now()):
                return tally
            await self._invite(consultation, tally)
            capabilities = self._capabilities()
            for name, capability in capabilities.items():
                try:
                    await self._platform(consultation, name, capability, tally)
                except RetryAfter as exc:
                    # Not connected, or asked to slow down: the next pass goes on.
                    log.info("co-construction spaces on %s: later (%s)", name, exc)
                    tally.failed += 1
            await self._report_joins(tally)
        if tally.failed:
            log.warning("co-construction spaces: %s step(s) failed, retried later", tally.failed)
        return tally

    async def _platform(
        self, consultation: Consultation, name: str, capability: Workspace, tally: Tally
    ) -> None:
        if capability.creates_rooms:
            await self._create_rooms(consultation, name, capability, tally)
        for space in await workspaces.of_consultation(self.services.db, consultation.id, name):
            await self._members(space, capability, tally)

    async def _invite(self, consultation: Consultation, tally: Tally) -> None:
        """Ask the collectivités ready to co-build a selected proposal to confirm."""
        db, now = self.services.db, self.services.clock.now()
        async with db.transaction():
            for volunteer in await volunteers.invite_ready(db, consultation.id, now):
                if volunteer.person_id is not None:
                    render = partial(_invitation, volunteer)
                    if await notify(
                        self.services, self.commands, volunteer.person_id, "coop", render, now
                    ):
                        tally.invited += 1

    async def _create_rooms(
        self, consultation: Consultation, name: str, capability: Workspace, tally: Tally
    ) -> None:
        db = self.services.db
        staff = [
            identity.split(":", 1)[1]
            for person in await persons.with_role(db, "staff", "admin")
            for identity in await persons.identities(db, person.id)
            if identity.startswith(f"{name}:")
        ]
        for proposal_id in await workspaces.without_room(db, consultation.id, name):
            proposal = await proposals.get(db, proposal_id)
            if proposal is None:
                continue
            try:
                room = await capability.create(
                    f"{proposal.number}. {proposal.title}", proposal.summary, staff
                )
            except RetryAfter:
                raise
            except DeliveryError as exc:
                log.warning("co-construction room for no. %s not created: %s", proposal.number, exc)
                tally.failed += 1
                continue
            async with db.transaction():
                await workspaces.bind(db, proposal.id, name, room, None, self.services.clock.now())
            tally.rooms += 1

    async def _members(self, space: Space, capability: Workspace, tally: Tally) -> None:
        db = self.services.db
        for member in await workspaces.to_remove(db, space.id):
            await self._remove(space, member, capability, tally)
        for seat in await workspaces.to_admit(db, space.id):
            person = await persons.get(db, seat.person_id)
            label = f"{space.proposal_number} · {person.display_name if person else seat.account}"
            try:
                link = await capability.admit(space.room, seat.account, label)
            except RetryAfter:
                raise
            except DeliveryError as exc:
                log.warning("co-construction: %s not let in %s: %s", seat.account, space.room, exc)
                tally.failed += 1
                continue
            await self._admitted(space, seat, link)
            tally.admitted += 1

    async def _remove(
        self, space: Space, member: Member, capability: Workspace, tally: Tally
    ) -> None:
        try:
            await capability.remove(
                space.room,
                member.account,
                joined=member.status == "joined",
                link=member.invite_link,
            )
        except RetryAfter:
            raise
        except DeliveryError as exc:
            log.warning(
                "co-construction: %s not removed from %s: %s", member.account, space.room, exc
            )
            tally.failed += 1
            return
        async with self.services.db.transaction():
            await workspaces.removed(self.services.db, member.id, self.services.clock.now())
        tally.removed += 1

    async def _admitted(self, space: Space, seat: Seat, link: str) -> None:
        db, now = self.services.db, self.services.clock.now()
        async with db.transaction():
            await workspaces.admitted(db, space.id, seat, now, link)
            await notify(
                self.services,
                self.commands,
                seat.person_id,
                "coop",
                partial(_admitted, space, link),
                now,
            )

    async def _report_joins(self, tally: Tally) -> None:
        db, now = self.services.db, self.services.clock.now()
        joins = await workspaces.unreported_joins(db)
        if not joins:
            return
        staff = await persons.with_role(db, "staff", "admin")
        async with db.transaction():
            for space, member in joins:
                person = await persons.get(db, member.person_id) if member.person_id else None
                who = (person.display_name if person else "") or member.account
                for someone in staff:
                    await notify(
                        self.services,
                        self.commands,
                        someone.id,
                        "coop",
                        partial(_joined, space, who),
                        now,
                    )
                await workspaces.reported(db, member.id, now)
                tally.reported += 1
