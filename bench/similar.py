"""Similarity benchmark: quality on the labelled needs, speed and memory at size.

Run from the repository root: ``.venv/bin/python bench/similar.py [--data FILE]``.

Quality, on tests/data/similar_needs.txt (or ``--data``), for Guichet's index
and for a plain word TF-IDF baseline (scikit-learn's defaults: lowercase words,
no accent folding, no stemming, no synonyms, no character n-grams):

- precision at 3: the share of needs that belong to a proposal whose proposal
  is among the three suggested ("hit rate at 3": one right answer per need).
  "grouped": each need is left out and every other need is grouped into its
  proposal, as the staff see it once the review is under way; "cold": the
  proposals are known by title and summary only, as at the first review.
- adjusted Rand index of the clusters of all the half's needs against the
  labels (a need that fits no proposal is its own group).
- recall of duplicate pairs: among all pairs of the half ("global", what staff
  would see) and within a collectivité (what the need flow flags), with the
  precision of the pairs flagged next to it.

Thresholds are chosen on the "tune" half, each method its own, and the same
values are applied to the "check" half: the figures on "check" are the honest
ones. Speed: suggestions among 10,000 stored needs (p50, p99 over 500
queries), clustering of 1,000 needs, index build, and how long another
person's event waits while a refit is due (bench/similar_wait.py); memory:
resident set before and after scikit-learn and the 10,000-need index.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.memory import current_mb, peak_mb
from bench.similar_wait import run as refit_wait
from storage.similarity.clusters import duplicate_pairs, partition
from storage.similarity.index import Need as IndexNeed
from storage.similarity.index import SimilarityIndex, Thresholds
from storage.similarity.vectors import Vectoriser, Weights
from tests.similar_data import DEFAULT, LabelledSet, Need, load


class PlainWords(Vectoriser):
    """The baseline: scikit-learn's TfidfVectorizer as it comes, words only."""

    def fit(self, texts: Any) -> Any:
        from sklearn.feature_extraction.text import TfidfVectorizer

        self._words = TfidfVectorizer()
        return self._words.fit_transform(list(texts))

    def transform(self, texts: Any) -> Any:
        return self._words.transform(list(texts))


METHODS: dict[str, Callable[[Weights], Vectoriser]] = {
    "guichet": Vectoriser,
    "baseline": PlainWords,
}


def build(data: LabelledSet, method: str, *, grouped: bool, thresholds: Thresholds) -> Any:
    index = SimilarityIndex(thresholds=thresholds, vectoriser=METHODS[method])
    numbers = {key: number for number, key in enumerate(data.proposals, 1)}
    for key, proposal in data.proposals.items():
        index.put_proposal(numbers[key], proposal.text)
    for need in data.needs:
        owner = numbers[need.proposal] if grouped and need.proposal else None
        index.put_need(IndexNeed(need.id, need.text, need.commune, owner, owner is None))
    index.refit()
    return index, numbers


def precision_at_3(
    data: LabelledSet, index: Any, numbers: dict[str, int], half: str | None
) -> float:
    hits = total = 0
    for need in data.half(half):
        if need.proposal is None:
            continue
        found = index.suggest_proposals(need.text, k=3, exclude_need=need.id)
        hits += numbers[need.proposal] in {m.id for m in found}
        total += 1
    return hits / total


def out_of_scope_quiet(data: LabelledSet, index: Any, half: str | None) -> float:
    """Share of out-of-scope needs for which nothing is suggested at all."""
    outside = [n for n in data.half(half) if n.proposal is None]
    quiet = sum(not index.suggest_proposals(n.text, exclude_need=n.id) for n in outside)
    return quiet / len(outside) if outside else 1.0


def ari(data: LabelledSet, index: Any, half: str | None, threshold: float) -> float:
    from sklearn.metrics import adjusted_rand_score

    needs = data.half(half)
    groups = partition(index, [n.id for n in needs], threshold=threshold)
    found = {nid: g for g, group in enumerate(groups) for nid in group}
    truth = [n.proposal or f"alone-{n.id}" for n in needs]
    return float(adjusted_rand_score(truth, [found[n.id] for n in needs]))


def flagged_in_flow(
    data: LabelledSet, index: Any, half: str | None, threshold: float
) -> tuple[float, float]:
    """(recall, precision) of the labelled pairs as the need flow flags them.

    Each need of the half is written again for its collectivité: the pairs are
    the needs of the same collectivité the index flags as likely duplicates.
    """
    needs = data.half(half)
    ids = {n.id for n in needs}
    truth = data.duplicate_pairs(needs)
    old = index.thresholds
    index.thresholds = Thresholds(**{**old.__dict__, "duplicate": threshold})
    flagged = {
        frozenset((need.id, match.id))
        for need in needs
        for match in index.duplicates(need.text, collectivite=need.commune, exclude=[need.id])
        if match.id in ids
    }
    index.thresholds = old
    return _recall_precision(truth, flagged)


def pairs_found(
    data: LabelledSet, index: Any, half: str | None, threshold: float
) -> tuple[float, float]:
    """(recall, precision) of the labelled pairs among all pairs of the half, any collectivité."""
    needs = data.half(half)
    flagged = {
        frozenset((a, b))
        for a, b, _ in duplicate_pairs(index, [n.id for n in needs], threshold=threshold)
    }
    return _recall_precision(data.duplicate_pairs(needs), flagged)


def _recall_precision(
    truth: set[frozenset[int]], flagged: set[frozenset[int]]
) -> tuple[float, float]:
    found = len(truth & flagged)
    return found / len(truth), (found / len(flagged) if flagged else 1.0)


def _f1(pair: tuple[float, float]) -> float:
    recall, precision = pair
    return 2 * recall * precision / (recall + precision) if recall + precision else 0.0


def tune(data: LabelledSet, method: str) -> tuple[Thresholds, float]:
    """Thresholds by a grid on the tune half: best ARI, best F1 of duplicate pairs.

    Returns the thresholds and, apart, the one for pairs across collectivités
    (reported only: the flows flag duplicates within a collectivité).
    """
    index, numbers = build(data, method, grouped=False, thresholds=Thresholds())
    grid = [round(0.05 * i, 2) for i in range(1, 19)]
    # ties go to the highest threshold: the most cautious of the equally good
    cluster = max(grid, key=lambda t: (ari(data, index, "tune", t), t))
    duplicate = max(grid, key=lambda t: (_f1(flagged_in_flow(data, index, "tune", t)), t))
    across = max(grid, key=lambda t: (_f1(pairs_found(data, index, "tune", t)), t))
    # the suggestion floor: the highest that loses no right answer on the tune half
    grouped, numbers = build(data, method, grouped=True, thresholds=Thresholds(suggestion=0.0))
    best = precision_at_3(data, grouped, numbers, "tune")
    floor = 0.0
    for t in [round(0.02 * i, 2) for i in range(1, 20)]:
        grouped.thresholds = Thresholds(suggestion=t)
        if precision_at_3(data, grouped, numbers, "tune") < best:
            break
        floor = t
    return Thresholds(suggestion=floor, duplicate=duplicate, cluster=cluster), across


def quality(data: LabelledSet) -> dict[str, float]:
    print(
        f"labelled set: {len(data.needs)} needs, {len(data.proposals)} proposals, "
        f"{sum(n.proposal is None for n in data.needs)} out of scope, "
        f"{len(data.duplicate_pairs(data.needs))} duplicate pairs, "
        f"{len({n.commune for n in data.needs})} communes"
    )
    rows = []
    for method in METHODS:
        thresholds, across = tune(data, method)
        grouped, numbers = build(data, method, grouped=True, thresholds=thresholds)
        cold, _ = build(data, method, grouped=False, thresholds=thresholds)
        for half in ("tune", "check", None):
            rows.append(
                (
                    method,
                    half or "all",
                    precision_at_3(data, grouped, numbers, half),
                    precision_at_3(data, cold, numbers, half),
                    out_of_scope_quiet(data, grouped, half),
                    ari(data, cold, half, thresholds.cluster),
                    *flagged_in_flow(data, cold, half, thresholds.duplicate),
                    *pairs_found(data, cold, half, across),
                )
            )
        print(
            f"{method}: thresholds suggestion {thresholds.suggestion}, "
            f"cluster {thresholds.cluster}, duplicate {thresholds.duplicate} "
            f"(across collectivités {across})"
        )
    print()
    print(
        "| method | half | P@3 grouped | P@3 cold | out of scope quiet | ARI "
        "| dup recall, same collectivité (precision) | dup recall, any two needs (precision) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    figures: dict[str, float] = {}
    for method, half, p3, p3c, quiet, rand, rec, prec, grec, gprec in rows:
        print(
            f"| {method} | {half} | {p3:.3f} | {p3c:.3f} | {quiet:.2f} | {rand:.3f} "
            f"| {rec:.3f} ({prec:.2f}) | {grec:.3f} ({gprec:.2f}) |"
        )
        if half == "check":
            figures |= {f"{method}_p3": p3, f"{method}_ari": rand, f"{method}_dup_recall": rec}
    return figures


def synthetic_needs(data: LabelledSet, count: int, seed: int = 7) -> list[Need]:
    """Needs made from the labelled ones: words shuffled and dropped, so texts vary."""
    rng = random.Random(seed)
    made = []
    for i in range(count):
        base = rng.choice(data.needs)
        words = base.text.split()
        kept = [w for w in words if rng.random() > 0.25] or words
        rng.shuffle(kept)
        made.append(
            Need(
                100_000 + i, f"{base.commune} {i % 3000}", base.title, " ".join(kept), base.proposal
            )
        )
    return made


def first_question(data: LabelledSet, size: int) -> float:
    """Seconds from nothing to a first suggestion, as after a start: import, fit, ask."""
    started = time.perf_counter()
    index = SimilarityIndex()
    for number, proposal in enumerate(data.proposals.values(), 1):
        index.put_proposal(number, proposal.text)
    for need in synthetic_needs(data, size, seed=11):
        index.put_need(IndexNeed(need.id, need.text, need.commune))
    index.prepare()
    index.suggest_proposals(data.needs[0].text)
    return time.perf_counter() - started


def speed(data: LabelledSet, stored: int, clustered: int, queries: int) -> dict[str, float]:
    imports_mb = current_mb()
    assert "sklearn" not in sys.modules
    first = first_question(data, 476)
    print(
        f"first suggestion after a start, 476 needs as in 2021 (imports scikit-learn, "
        f"fits the index): {first:.2f} s"
    )
    sklearn_mb = current_mb()
    needs = synthetic_needs(data, stored)
    index = SimilarityIndex()
    numbers = {key: number for number, key in enumerate(data.proposals, 1)}
    for key, proposal in data.proposals.items():
        index.put_proposal(numbers[key], proposal.text)
    started = time.perf_counter()
    for need in needs:
        owner = numbers[need.proposal] if need.proposal and need.id % 2 else None
        index.put_need(IndexNeed(need.id, need.text, need.commune, owner, owner is None))
    index.refit()
    built = time.perf_counter() - started
    index_mb = current_mb()
    rng = random.Random(3)
    asked = [rng.choice(data.needs).text for _ in range(queries)]
    timings: dict[str, list[float]] = {"proposals": [], "needs": [], "duplicates": []}
    for text in asked:
        for name, ask in (
            ("proposals", lambda t: index.suggest_proposals(t)),
            ("needs", lambda t: index.similar_needs(t, keep=lambda n: n.collectivite != "x")),
            ("duplicates", lambda t: index.duplicates(t, collectivite=needs[0].commune)),
        ):
            start = time.perf_counter()
            ask(text)
            timings[name].append((time.perf_counter() - start) * 1000)
    figures = {"stored": float(stored), "clustered": float(clustered), "first_s": first}
    for name, values in timings.items():
        values.sort()
        p99 = values[int(0.99 * (len(values) - 1))]
        figures[f"{name}_p99_ms"] = p99
        figures[f"{name}_p50_ms"] = statistics.median(values)
        print(
            f"{name} among {stored:,} needs: p50 {statistics.median(values):.1f} ms, "
            f"p99 {p99:.1f} ms ({queries} queries)"
        )
    start = time.perf_counter()
    for need in needs[:50]:
        index.put_need(IndexNeed(need.id, need.text + " modifié", need.commune))
    index.suggest_proposals(asked[0])
    print(f"50 needs changed, then a suggestion: {(time.perf_counter() - start) * 1000:.0f} ms")
    print(f"index of {stored:,} needs built (fit) in {built:.2f} s")
    ids = [n.id for n in needs[:clustered]]
    durations = []
    for _ in range(3):
        start = time.perf_counter()
        groups = partition(index, ids)
        durations.append(time.perf_counter() - start)
    print(
        f"clustering {clustered:,} needs: {statistics.median(durations):.2f} s "
        f"(median of 3; {sum(len(g) > 1 for g in groups)} clusters of 2 or more)"
    )
    print(
        f"memory (resident set): {imports_mb:.0f} MB with the similarity modules and before "
        f"scikit-learn, {sklearn_mb:.0f} MB with it and an index of 476 needs, "
        f"{index_mb:.0f} MB with the {stored:,}-need index, "
        f"peak {peak_mb():.0f} MB"
    )
    print()
    return figures | {
        "cluster_s": statistics.median(durations),
        "sklearn_mb": sklearn_mb,
        "index_mb": index_mb,
        "before_mb": imports_mb,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT)
    parser.add_argument("--stored", type=int, default=10_000)
    parser.add_argument("--clustered", type=int, default=1_000)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--quality-only", action="store_true")
    parser.add_argument("--json", action="store_true", help="end with the figures as one JSON line")
    args = parser.parse_args()
    data = load(args.data)
    figures: dict[str, float] = {}
    if not args.quality_only:  # first, so that the memory before scikit-learn is measured
        figures |= speed(data, args.stored, args.clustered, args.queries)
        figures |= asyncio.run(refit_wait(data, args.stored, 3))
    figures |= quality(data)
    if args.json:
        print(json.dumps({"bench": "similar", **figures}))


if __name__ == "__main__":
    main()
