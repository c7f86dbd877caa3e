"""One consultation's similarity index, filled from the database and kept up to date.

The first question loads every proposal and every need still in play
(submitted or grouped: re-routed, rejected, withdrawn and erased needs are
nobody's model) — that is the rebuild at start-up, a fraction of a second for
the 476 needs of 2021, a few seconds at 10,000. After that, each question first
reads the ``similarity_changes`` rows the triggers of migration 0010 wrote
since the last one and re-reads only those items; the rows read are deleted
later, in a transaction of their own.

Everything is read through a second, read-only connection: in WAL mode it
sees committed data only, so a question asked inside an event never sees that
event's own writes (or any other uncommitted one), and a write later rolled
back never reaches the index. Reading there also holds no write lock.

The refit (new vocabulary and IDF once a fifth of the index changed, seconds
at 10,000 needs) is never awaited by a question, which runs inside its
event's transaction: the question is answered from the vectors already fitted
plus the changes folded in, while one background task fits a snapshot of the
texts in a worker thread and swaps the result in under the lock when done. At
most one refit runs at a time. Only the very first fit, with nothing to answer
from yet, is awaited. The lock keeps one coroutine at a time on the index,
which is not thread-safe.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from storage.db import Database
from storage.personal_data import ERASED_TEXT
from storage.similarity.index import Need, SimilarityIndex, Snapshot, Thresholds

_IN_PLAY = ("submitted", "grouped")
log = logging.getLogger(__name__)
SMALL = 50
"""Below this many texts a refit takes well under 0.1 s and is done within the question."""


def need_text(title: str, body: str) -> str:
    return f"{title}. {body}"


class LiveIndex:
    def __init__(
        self, db: Database, consultation_id: int, *, thresholds: Thresholds | None = None
    ) -> None:
        self.db = db
        self.consultation_id = consultation_id
        self.index = SimilarityIndex(thresholds=thresholds, refit_inline=False)
        self._seq: int | None = None
        self._lock = asyncio.Lock()
        self._reader: Database | None = None
        self._refitting: asyncio.Task[None] | None = None
        self._trimming: asyncio.Task[None] | None = None
        self._trim_to = 0

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[SimilarityIndex]:
        """The index, caught up with what is committed and ready to answer, for this block only."""
        async with self._lock:
            await self._catch_up()
            await asyncio.to_thread(self._prepare)
            if self.index.refit_due and (self._refitting is None or self._refitting.done()):
                self._refitting = asyncio.create_task(self._refit(self.index.snapshot()))
            yield self.index

    def _prepare(self) -> None:
        """Fold the changes in (fit the first time); refit at once only while the index is tiny.

        A young consultation's first needs are each a large share of the
        vocabulary: folded into a fit of a handful of proposals they would be
        read poorly until the background refit lands, and such a fit costs
        less than the question itself.
        """
        index = self.index
        if index.fitted and index.refit_due and len(index.needs) + len(index.proposals) < SMALL:
            index.refit()
        index.prepare()

    async def settled(self) -> None:
        """Wait for the background work started so far (a refit, trimming the change log)."""
        for task in (self._refitting, self._trimming):
            if task is not None:
                await asyncio.gather(task, return_exceptions=True)

    async def close(self) -> None:
        for task in (self._refitting, self._trimming):
            if task is not None and not task.done():
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        if self._reader is not None:
            await self._reader.close()
            self._reader = None

    async def _refit(self, snapshot: Snapshot) -> None:
        try:
            fitted = await asyncio.to_thread(self.index.fit, snapshot)
        except Exception:
            log.exception("similarity refit failed; the next question tries again")
            return
        async with self._lock:
            self.index.install(snapshot, fitted)

    async def _read(self) -> Database:
        if self._reader is None:
            reader = await Database.open(self.db.path, migrate=False)
            await reader.execute("PRAGMA query_only=ON")
            self._reader = reader
        return self._reader

    async def _catch_up(self) -> None:
        reader = await self._read()
        if self._seq is None:
            # read the mark first: a change made during the load is read again, never lost
            mark = int(
                await reader.fetchval("SELECT COALESCE(MAX(seq), 0) FROM similarity_changes")
            )
            await self._load_proposals(reader, None)
            await self._load_needs(reader, None)
            self._forget(mark)
            return
        rows = await reader.fetchall(
            "SELECT seq, kind, item_id FROM similarity_changes"
            " WHERE consultation_id = ? AND seq > ? ORDER BY seq",
            (self.consultation_id, self._seq),
        )
        if not rows:
            return
        needs = sorted({int(r["item_id"]) for r in rows if r["kind"] == "need"})
        proposals = sorted({int(r["item_id"]) for r in rows if r["kind"] == "proposal"})
        if proposals:
            await self._load_proposals(reader, proposals)
        if needs:
            await self._load_needs(reader, needs)
        self._forget(max(int(r["seq"]) for r in rows))

    def _forget(self, seq: int) -> None:
        """Delete the change rows read, later and in a transaction of their own: never in the
        asking event's, whose rollback would bring them back (harmless) but which should not
        wait for it either."""
        self._seq = seq
        self._trim_to = max(self._trim_to, seq)
        if self._trimming is None or self._trimming.done():
            self._trimming = asyncio.create_task(self._trim())

    async def _trim(self) -> None:
        done = 0
        while self._trim_to > done:
            done = self._trim_to
            async with self.db.transaction():
                await self.db.execute(
                    "DELETE FROM similarity_changes WHERE consultation_id = ? AND seq <= ?",
                    (self.consultation_id, done),
                )

    async def _load_proposals(self, reader: Database, ids: Sequence[int] | None) -> None:
        sql = "SELECT id, title, summary FROM proposals WHERE consultation_id = ?"
        rows = await reader.fetchall(sql + _among(ids), _params(self.consultation_id, ids))
        found = set()
        for row in rows:
            found.add(int(row["id"]))
            self.index.put_proposal(int(row["id"]), need_text(row["title"], row["summary"]))
        for missing in set(ids or ()) - found:
            self.index.remove_proposal(missing)

    async def _load_needs(self, reader: Database, ids: Sequence[int] | None) -> None:
        sql = (
            "SELECT id, title, body, collectivite, status, proposal_id FROM contributions"
            " WHERE consultation_id = ?"
        )
        rows = await reader.fetchall(sql + _among(ids), _params(self.consultation_id, ids))
        kept = set()
        for row in rows:
            if row["status"] not in _IN_PLAY or row["title"] == ERASED_TEXT:
                continue
            kept.add(int(row["id"]))
            self.index.put_need(
                Need(
                    id=int(row["id"]),
                    text=need_text(row["title"], row["body"]),
                    collectivite=str(row["collectivite"]),
                    proposal_id=row["proposal_id"] if row["status"] == "grouped" else None,
                    waiting=row["status"] == "submitted",
                )
            )
        for gone in set(ids or ()) - kept:
            self.index.remove_need(gone)


def _among(ids: Sequence[int] | None) -> str:
    return "" if ids is None else " AND id IN (SELECT value FROM json_each(?))"


def _params(consultation_id: int, ids: Sequence[int] | None) -> tuple[object, ...]:
    return (consultation_id,) if ids is None else (consultation_id, json.dumps(list(ids)))


class Indexes:
    """The live index of each consultation, made at its first use.

    Not at start-up: building one imports scikit-learn (about 100 MB), which a
    bot whose people never write a need should not carry. The first question
    after a start rebuilds the index from the database.
    """

    def __init__(self, thresholds: Thresholds | None = None) -> None:
        self.thresholds = thresholds
        self._live: dict[int, LiveIndex] = {}
        self._retired: list[LiveIndex] = []

    def of(self, db: Database, consultation_id: int) -> LiveIndex:
        live = self._live.get(consultation_id)
        if live is None or live.db is not db:
            if live is not None:
                self._retired.append(live)
            live = self._live[consultation_id] = LiveIndex(
                db, consultation_id, thresholds=self.thresholds
            )
        return live

    async def close(self) -> None:
        """End the background work and the read connections (before the database closes)."""
        for live in [*self._live.values(), *self._retired]:
            await live.close()
        self._live.clear()
        self._retired.clear()
