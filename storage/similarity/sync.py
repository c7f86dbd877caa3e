"""One consultation's similarity index, filled from the database and kept up to date.

The first question loads every proposal and every need still in play
(submitted or grouped: re-routed, rejected, withdrawn and erased needs are
nobody's model) — that is the rebuild at start-up, a fraction of a second for
the 476 needs of 2021, a few seconds at 10,000. After that, each question first
reads the ``similarity_changes`` rows the triggers of migration 0010 wrote
since the last one, re-reads only those items and deletes the rows read.

Fitting and folding changes in run in a worker thread, so a refit does not
stall the event loop; the lock keeps one coroutine at a time on the index,
which is not thread-safe. In the bot each event is one transaction, so the
index is read inside it: ask it before writing in that event, not after (a
rolled-back write would otherwise stay in the index).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from storage.db import Database
from storage.personal_data import ERASED_TEXT
from storage.similarity.index import Need, SimilarityIndex, Thresholds

_IN_PLAY = ("submitted", "grouped")


def need_text(title: str, body: str) -> str:
    return f"{title}. {body}"


class LiveIndex:
    def __init__(
        self, db: Database, consultation_id: int, *, thresholds: Thresholds | None = None
    ) -> None:
        self.db = db
        self.consultation_id = consultation_id
        self.index = SimilarityIndex(thresholds=thresholds)
        self._seq: int | None = None
        self._lock = asyncio.Lock()

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[SimilarityIndex]:
        """The index, caught up with the database and ready to answer, for this block only."""
        async with self._lock:
            await self._catch_up()
            await asyncio.to_thread(self.index.prepare)
            yield self.index

    async def _catch_up(self) -> None:
        if self._seq is None:
            # read the mark first: a change made during the load is read again, never lost
            mark = int(
                await self.db.fetchval("SELECT COALESCE(MAX(seq), 0) FROM similarity_changes")
            )
            await self._load_proposals(None)
            await self._load_needs(None)
            await self._forget(mark)
            return
        rows = await self.db.fetchall(
            "SELECT seq, kind, item_id FROM similarity_changes"
            " WHERE consultation_id = ? AND seq > ? ORDER BY seq",
            (self.consultation_id, self._seq),
        )
        if not rows:
            return
        needs = sorted({int(r["item_id"]) for r in rows if r["kind"] == "need"})
        proposals = sorted({int(r["item_id"]) for r in rows if r["kind"] == "proposal"})
        if proposals:
            await self._load_proposals(proposals)
        if needs:
            await self._load_needs(needs)
        await self._forget(max(int(r["seq"]) for r in rows))

    async def _forget(self, seq: int) -> None:
        self._seq = seq
        async with self.db.transaction():
            await self.db.execute(
                "DELETE FROM similarity_changes WHERE consultation_id = ? AND seq <= ?",
                (self.consultation_id, seq),
            )

    async def _load_proposals(self, ids: Sequence[int] | None) -> None:
        sql = "SELECT id, title, summary FROM proposals WHERE consultation_id = ?"
        rows = await self.db.fetchall(sql + _among(ids), _params(self.consultation_id, ids))
        found = set()
        for row in rows:
            found.add(int(row["id"]))
            self.index.put_proposal(int(row["id"]), need_text(row["title"], row["summary"]))
        for missing in set(ids or ()) - found:
            self.index.remove_proposal(missing)

    async def _load_needs(self, ids: Sequence[int] | None) -> None:
        sql = (
            "SELECT id, title, body, collectivite, status, proposal_id FROM contributions"
            " WHERE consultation_id = ?"
        )
        rows = await self.db.fetchall(sql + _among(ids), _params(self.consultation_id, ids))
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

    def of(self, db: Database, consultation_id: int) -> LiveIndex:
        live = self._live.get(consultation_id)
        if live is None or live.db is not db:
            live = self._live[consultation_id] = LiveIndex(
                db, consultation_id, thresholds=self.thresholds
            )
        return live
