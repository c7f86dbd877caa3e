"""The needs and proposals of one consultation as vectors, and the questions asked of them.

Kept in memory: a consultation holds hundreds of needs (476 in 2021), at most
tens of thousands, and a sparse matrix of 10,000 needs is a few MB that
answers a query in milliseconds; SQLite FTS5 ranks by shared words only, so it
would miss typos and synonyms, which are the point here.

Changes are cheap: a changed text is vectorised alone with the current
vocabulary and appended, its old row masked; the whole index is refitted
(new vocabulary and IDF) once the changes since the last fit pass a fifth of
it. By default that refit happens at the next question; with
``refit_inline=False`` (the bot's live index) questions keep the fitted
vectors plus the changes folded in, and the owner fits a ``snapshot`` in the
background and ``install``s the result, so nobody waits seconds for it.
Nothing here acts: it only ranks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from storage.similarity.vectors import Vectoriser, Weights

if TYPE_CHECKING:
    import numpy


@dataclass(frozen=True)
class Need:
    """What the index knows of a contribution: its words and where it stands, never its author."""

    id: int
    text: str
    collectivite: str
    proposal_id: int | None = None
    waiting: bool = True  # submitted, not yet grouped, re-routed or rejected


@dataclass(frozen=True)
class Match:
    id: int
    score: float


@dataclass(frozen=True)
class Thresholds:
    """Scores (0–1) above which a link is worth showing; tuned in bench/similar.py."""

    suggestion: float = 0.1  # a proposal or need worth showing as "similar"
    duplicate: float = 0.15  # the same need written twice (within one collectivité)
    cluster: float = 0.1  # average similarity that keeps needs in one cluster
    members: int = 2  # a proposal's score reads its best few grouped needs, averaged


_Key = tuple[str, int]  # ("n", need id) or ("p", proposal id)


class SimilarityIndex:
    def __init__(
        self,
        weights: Weights | None = None,
        thresholds: Thresholds | None = None,
        *,
        refit_ratio: float = 0.2,
        refit_inline: bool = True,
        vectoriser: Callable[[Weights], Vectoriser] = Vectoriser,
    ) -> None:
        self.weights = weights or Weights()
        self._make_vectoriser = vectoriser
        self.thresholds = thresholds or Thresholds()
        self.refit_ratio = refit_ratio
        self.refit_inline = refit_inline
        self.needs: dict[int, Need] = {}
        self.proposals: dict[int, str] = {}
        self._vectoriser: Vectoriser | None = None
        self._matrix: Any = None
        self._keys: list[_Key] = []  # row -> key (dead rows included)
        self._row: dict[_Key, int] = {}  # live key -> row
        self._pending: set[_Key] = set()  # changed since the matrix last saw them
        self._fitted_size = 0
        self._since_fit = 0
        self._arrays: _Layout | None = None
        self._columns: Any = None  # the matrix column-major, for queries

    # --- keeping it up to date -------------------------------------------------------

    def put_need(self, need: Need) -> None:
        old = self.needs.get(need.id)
        self.needs[need.id] = need
        self._arrays = None
        if old is None or old.text != need.text:
            self._changed(("n", need.id))

    def remove_need(self, need_id: int) -> None:
        if self.needs.pop(need_id, None) is not None:
            self._changed(("n", need_id))

    def put_proposal(self, proposal_id: int, text: str) -> None:
        if self.proposals.get(proposal_id) != text:
            self.proposals[proposal_id] = text
            self._changed(("p", proposal_id))

    def remove_proposal(self, proposal_id: int) -> None:
        if self.proposals.pop(proposal_id, None) is not None:
            self._changed(("p", proposal_id))

    def _changed(self, key: _Key) -> None:
        self._pending.add(key)
        self._arrays = None

    def _text(self, key: _Key) -> str | None:
        if key[0] == "n":
            need = self.needs.get(key[1])
            return need.text if need else None
        return self.proposals.get(key[1])

    def refit(self) -> None:
        """Vocabulary, IDF and every row anew from the current texts."""
        snapshot = self.snapshot()
        self.install(snapshot, self.fit(snapshot))

    @property
    def fitted(self) -> bool:
        return self._vectoriser is not None

    @property
    def refit_due(self) -> bool:
        """Whether enough changed since the last fit that its vocabulary and IDF are stale."""
        changed = self._since_fit + len(self._pending)
        return self._vectoriser is None or changed > self.refit_ratio * self._fitted_size

    def snapshot(self) -> Snapshot:
        """The texts as they are now, for ``fit`` in another thread (copies: the index moves on)."""
        return Snapshot(needs=dict(self.needs), proposals=dict(self.proposals))

    def fit(self, snapshot: Snapshot) -> Fitted:
        """Vectorise a snapshot from scratch; touches nothing of the index, so any thread may."""
        keys: list[_Key] = [("p", pid) for pid in snapshot.proposals]
        keys += [("n", nid) for nid in snapshot.needs]
        texts = [snapshot.proposals[i] if k == "p" else snapshot.needs[i].text for k, i in keys]
        vectoriser = self._make_vectoriser(self.weights)
        return Fitted(keys=keys, vectoriser=vectoriser, matrix=vectoriser.fit(texts))

    def install(self, snapshot: Snapshot, fitted: Fitted) -> None:
        """Swap in vectors fitted on ``snapshot``; what changed since is folded in as changes."""
        self._keys = fitted.keys
        self._row = {key: row for row, key in enumerate(self._keys)}
        self._vectoriser = fitted.vectoriser
        self._matrix = fitted.matrix
        self._columns = None
        self._arrays = None
        self._pending = {
            ("n", nid)
            for nid in snapshot.needs.keys() | self.needs.keys()
            if _text_of(snapshot.needs.get(nid)) != _text_of(self.needs.get(nid))
        } | {
            ("p", pid)
            for pid in snapshot.proposals.keys() | self.proposals.keys()
            if snapshot.proposals.get(pid) != self.proposals.get(pid)
        }
        self._fitted_size = len(self._keys)
        self._since_fit = 0

    def _ready(self) -> tuple[Vectoriser, Any]:
        if self._vectoriser is None or (self.refit_inline and self.refit_due):
            self.refit()
        elif self._pending:
            self._apply_pending()
        assert self._vectoriser is not None
        return self._vectoriser, self._matrix

    def _apply_pending(self) -> None:
        from scipy.sparse import vstack

        assert self._vectoriser is not None
        fresh: list[_Key] = []
        for key in sorted(self._pending):
            self._row.pop(key, None)  # its old row, if any, is dead from now on
            if self._text(key) is not None:
                fresh.append(key)
        if fresh:
            rows = self._vectoriser.transform([self._text(key) or "" for key in fresh])
            self._matrix = vstack([self._matrix, rows], format="csr")
            self._columns = None
            for key in fresh:
                self._row[key] = len(self._keys)
                self._keys.append(key)
        self._since_fit += len(self._pending)
        self._pending.clear()

    def prepare(self) -> None:
        """Do now whatever the next question would (fit if never fitted, or refit when due and
        ``refit_inline``; fold changes in; lay out arrays).

        Meant for a worker thread, so that the event loop never waits on it.
        """
        _, matrix = self._ready()
        self._layout()
        if self._columns is None:
            self._columns = matrix.tocsc()

    # --- the questions -----------------------------------------------------------------

    def _layout(self) -> _Layout:
        """Rows of the live needs and proposals as arrays, rebuilt only after a change."""
        self._ready()
        if self._arrays is None:
            import numpy

            proposal_ids = sorted(self.proposals)
            position = {pid: i for i, pid in enumerate(proposal_ids)}
            needs = list(self.needs.values())
            by_place: dict[str, list[int]] = {}
            for need in needs:
                by_place.setdefault(need.collectivite, []).append(need.id)
            self._arrays = _Layout(
                proposal_ids=proposal_ids,
                proposal_rows=numpy.array(
                    [self._row[("p", pid)] for pid in proposal_ids], dtype=numpy.int64
                ),
                need_ids=numpy.array([n.id for n in needs], dtype=numpy.int64),
                need_rows=numpy.array([self._row[("n", n.id)] for n in needs], dtype=numpy.int64),
                owner=numpy.array(
                    [position.get(n.proposal_id, -1) if n.proposal_id else -1 for n in needs],
                    dtype=numpy.int64,
                ),
                by_collectivite=by_place,
            )
        return self._arrays

    def _query(self, text: str) -> Any:
        vectoriser, _ = self._ready()
        return vectoriser.transform([text]).T

    def _all_scores(self, text: str) -> numpy.ndarray[Any, Any]:
        """Cosine of ``text`` with every row, dead rows included.

        Through a column-major copy: a query holds a hundred or so of the
        matrix's tens of thousands of columns, and summing those columns costs
        a fifth of a row-major product (1 ms instead of 5 among 10,000 needs).
        """
        vectoriser, matrix = self._ready()
        if self._columns is None:
            self._columns = matrix.tocsc()
        query = vectoriser.transform([text])
        return self._columns[:, query.indices] @ query.data  # type: ignore[no-any-return]

    def suggest_proposals(
        self, text: str, *, k: int = 3, exclude_need: int | None = None
    ) -> list[Match]:
        """The proposals this text most likely belongs to, best first, above the threshold.

        A proposal is read through its own title and summary and through the
        needs already grouped into it (the mean of its best ``members``
        matches), whichever is closer: staff group needs whose words the
        proposal's title never uses.
        """
        import numpy

        if not self.proposals:
            return []
        layout = self._layout()
        values = self._all_scores(text)
        best = values[layout.proposal_rows].astype(numpy.float64)
        grouped = (layout.owner >= 0) & (layout.need_ids != (exclude_need or 0))
        if grouped.any():
            owner = layout.owner[grouped]
            scores = values[layout.need_rows[grouped]]
            order = numpy.lexsort((-scores, owner))  # by proposal, best match first
            owner, scores = owner[order], scores[order]
            starts = numpy.searchsorted(owner, owner, side="left")
            top = numpy.arange(len(owner)) - starts < self.thresholds.members
            sums = numpy.bincount(owner[top], weights=scores[top], minlength=len(best))
            counts = numpy.bincount(owner[top], minlength=len(best))
            means = numpy.divide(sums, counts, out=numpy.zeros_like(sums), where=counts > 0)
            best = numpy.maximum(best, means)
        ranked = sorted(
            (Match(layout.proposal_ids[i], float(best[i])) for i in numpy.argsort(-best)[: k * 4]),
            key=lambda m: (-m.score, m.id),
        )
        return [m for m in ranked[:k] if m.score >= self.thresholds.suggestion]

    def similar_needs(
        self, text: str, *, k: int = 3, keep: Callable[[Need], bool] | None = None
    ) -> list[Match]:
        """The ``k`` needs closest to ``text`` among those ``keep`` accepts, above the threshold."""
        import numpy

        layout = self._layout()
        if not len(layout.need_ids):
            return []
        values = self._all_scores(text)[layout.need_rows]
        found: list[Match] = []
        for i in numpy.argsort(-values, kind="stable"):
            if values[i] < self.thresholds.suggestion or len(found) == k:
                break
            need = self.needs[int(layout.need_ids[i])]
            if keep is None or keep(need):
                found.append(Match(need.id, float(values[i])))
        return found

    def duplicates(
        self, text: str, *, collectivite: str, exclude: Iterable[int] = ()
    ) -> list[Match]:
        """Needs of the same collectivité so close to ``text`` that they are likely the same.

        Only that collectivité's needs are compared, so the bar can be low:
        two needs one town hall sends on different topics share almost no word.
        """
        skip = set(exclude)
        ids = [i for i in self._layout().by_collectivite.get(collectivite, ()) if i not in skip]
        if not ids:
            return []
        rows = self._matrix[[self._row[("n", i)] for i in ids]]
        values = (rows @ self._query(text)).toarray().ravel()
        found = [Match(i, float(v)) for i, v in zip(ids, values, strict=True)]
        found.sort(key=lambda m: (-m.score, m.id))
        return [m for m in found if m.score >= self.thresholds.duplicate]

    def pairwise(self, need_ids: list[int]) -> numpy.ndarray[Any, Any]:
        """Dense cosine matrix of these needs (rows and columns in the given order)."""
        self._ready()
        rows = self._matrix[[self._row[("n", nid)] for nid in need_ids]]
        return (rows @ rows.T).toarray()  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Snapshot:
    needs: dict[int, Need]
    proposals: dict[int, str]


@dataclass(frozen=True)
class Fitted:
    keys: list[_Key]
    vectoriser: Vectoriser
    matrix: Any


def _text_of(need: Need | None) -> str | None:
    return None if need is None else need.text


@dataclass(frozen=True)
class _Layout:
    proposal_ids: list[int]
    proposal_rows: numpy.ndarray[Any, Any]
    need_ids: numpy.ndarray[Any, Any]
    need_rows: numpy.ndarray[Any, Any]
    owner: numpy.ndarray[Any, Any]  # position of each need's proposal in proposal_ids, or -1
    by_collectivite: dict[str, list[int]]
