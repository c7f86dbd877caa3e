"""How long a collectivité lookup takes, the way people actually type.

Run from the repository root: ``.venv/bin/python bench/lookup.py [--count N]``.

Builds a fresh SQLite file, loads the shipped reference data (timed), then runs
a few thousand queries drawn from the data itself (seeded, so runs compare):
names without accents or in capitals, "St"/"Ste" abbreviations, a trailing
département, postcodes, INSEE codes, SIRENs, EPCI names, truncated names and
misses.  Prints latency percentiles per kind of query and overall, plus how
often the expected collectivité came back, so a speed-up that breaks the
search shows.  Target: p99 under 20 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import string
import sys
import tempfile
import time
import unicodedata
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from storage.collectivites import lookup
from storage.db import Database
from storage.refdata import ensure_loaded

Query = tuple[str, str, str | None]  # (category, text, expected code or None)


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def abbreviate(name: str) -> str:
    return name.replace("Saint-", "St-").replace("Sainte-", "Ste-").replace("Saint ", "St. ")


async def build_queries(db: Database, count: int, rng: random.Random) -> list[Query]:
    communes = await db.fetchall(
        "SELECT code, name, departement, postcodes FROM collectivites WHERE kind = 'commune'"
    )
    saints = [r for r in communes if r["name"].startswith(("Saint-", "Sainte-"))]
    epcis = await db.fetchall("SELECT code, name FROM collectivites WHERE kind = 'epci'")
    subs = await db.fetchall(
        "SELECT name, target FROM places WHERE kind IN"
        " ('commune-deleguee', 'commune-associee', 'arrondissement-municipal')"
    )

    def name_plain() -> Query:
        r = rng.choice(communes)
        return ("name", strip_accents(r["name"]).lower().replace("-", " "), r["code"])

    def name_upper() -> Query:
        r = rng.choice(communes)
        return ("name", r["name"].upper(), r["code"])

    def saint() -> Query:
        r = rng.choice(saints)
        return ("saint", strip_accents(abbreviate(r["name"])).lower(), r["code"])

    def with_dept() -> Query:
        r = rng.choice(communes)
        form = rng.choice(["{n} {d}", "{n} ({d})", "{n}, {d}"])
        text = form.format(n=strip_accents(abbreviate(r["name"])), d=r["departement"])
        return ("name+dept", text, r["code"])

    def prefix() -> Query:
        r = rng.choice(communes)
        cut = max(3, len(r["name"]) * 2 // 3)
        return ("prefix", strip_accents(r["name"][:cut]).lower(), None)

    def postcode() -> Query:
        r = rng.choice([c for c in communes if c["postcodes"]] or communes)
        return ("postcode", rng.choice(r["postcodes"].split()), r["code"])

    def insee() -> Query:
        r = rng.choice(communes)
        return ("insee", r["code"], r["code"])

    def siren() -> Query:
        r = rng.choice(epcis)
        return ("siren", r["code"], r["code"])

    def epci_name() -> Query:
        r = rng.choice(epcis)
        text = strip_accents(r["name"]).lower()
        text = text.replace("cc ", "communaute de communes ", 1) if rng.random() < 0.3 else text
        return ("epci", text, r["code"])

    def delegated() -> Query:
        r = rng.choice(subs)
        return ("deleguee", strip_accents(r["name"]).lower(), r["target"])

    def miss() -> Query:
        length = rng.randint(4, 30)
        return (
            "miss",
            "".join(rng.choice(string.ascii_lowercase + "  -'") for _ in range(length)),
            None,
        )

    makers = [name_plain, name_upper, saint, with_dept, prefix, postcode, insee, siren]
    makers += [epci_name, delegated, miss]
    return [rng.choice(makers)() for _ in range(count)]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


async def main() -> None:
    parser = argparse.ArgumentParser(description="Benchmark storage.collectivites.lookup")
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=2021)
    parser.add_argument("--json", action="store_true", help="end with the figures as one JSON line")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        db = await Database.open(Path(tmp) / "bench.db")
        try:
            started = time.perf_counter()
            await ensure_loaded(db)
            load_ms = (time.perf_counter() - started) * 1000
            started = time.perf_counter()
            await ensure_loaded(db)
            check_ms = (time.perf_counter() - started) * 1000
            print(f"first load {load_ms:.0f} ms, later start-ups {check_ms:.1f} ms")

            queries = await build_queries(db, args.count, random.Random(args.seed))
            for _, text, _ in queries[:50]:  # warm the page cache
                await lookup(db, text)
            timings: dict[str, list[float]] = defaultdict(list)
            found: dict[str, list[bool]] = defaultdict(list)
            for category, text, expected in queries:
                started = time.perf_counter()
                matches = await lookup(db, text)
                timings[category].append((time.perf_counter() - started) * 1000)
                if expected is not None:
                    found[category].append(any(m.collectivite.code == expected for m in matches))
                elif category == "miss":
                    found[category].append(not matches)
        finally:
            await db.close()

    print(f"{'query':<10} {'count':>6} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} {'found':>6}")
    every: list[float] = []
    worst_p99, worst_category = 0.0, ""
    for category in sorted(timings):
        values = timings[category]
        every += values
        hits = found.get(category)
        rate = f"{100 * sum(hits) / len(hits):.0f}%" if hits else "-"
        if percentile(values, 0.99) > worst_p99:
            worst_p99, worst_category = percentile(values, 0.99), category
        print(
            f"{category:<10} {len(values):>6} {statistics.median(values):>7.2f}"
            f" {percentile(values, 0.99):>7.2f} {max(values):>7.2f} {rate:>6}"
        )
    print(
        f"{'all':<10} {len(every):>6} {statistics.median(every):>7.2f}"
        f" {percentile(every, 0.99):>7.2f} {max(every):>7.2f}"
    )
    if args.json:
        figures = {
            "bench": "lookup",
            "queries": len(every),
            "p50_ms": statistics.median(every),
            "p99_ms": percentile(every, 0.99),
            "max_ms": max(every),
            "worst_category": worst_category,
            "worst_category_p99_ms": worst_p99,
            "first_load_ms": load_ms,
            "later_check_ms": check_ms,
        }
        print(json.dumps(figures))


if __name__ == "__main__":
    asyncio.run(main())
