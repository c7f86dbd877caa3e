"""Load the shipped reference data of collectivités into SQLite, once.

Lookups must work offline and start-up must stay fast, so the data ships in the
package (``storage/data/collectivites.csv.gz``, built by
``scripts/build_refdata.py``; see its docstring for the format) and is copied
into the database only when the database has not seen this exact file: the
file's sha256 is kept in ``refdata_meta``.

Collectivités are upserted, never deleted: a membership may point at a commune
that has since merged away, and it should keep its name.  The search tables
(``places``, ``places_fts``, ``postcodes``) are rebuilt from scratch, so a
vanished commune stops being offered.
"""

from __future__ import annotations

import asyncio
import csv
import gzip
import hashlib
import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from typing import Any

from storage.collectivites import normalise, search_key
from storage.db import Database

__all__ = ["DATA_FILE", "ensure_loaded", "shipped_data"]

DATA_FILE = "data/collectivites.csv.gz"
_SUB_KINDS = {
    "deleguee": "commune-deleguee",
    "associee": "commune-associee",
    "arrondissement": "arrondissement-municipal",
}


def shipped_data() -> bytes:
    """The gzipped CSV shipped with the ``storage`` package."""
    return resources.files("storage").joinpath(DATA_FILE).read_bytes()


@dataclass
class _Tables:
    """Rows ready for ``executemany``, one list per table."""

    meta: dict[str, str] = field(default_factory=dict)
    regions: list[tuple[str, str]] = field(default_factory=list)
    departements: list[tuple[str, str, str, str]] = field(default_factory=list)
    collectivites: list[tuple[Any, ...]] = field(default_factory=list)
    places: list[tuple[Any, ...]] = field(default_factory=list)
    postcodes: list[tuple[str, str]] = field(default_factory=list)


def _parse(blob: bytes) -> _Tables:
    """Turn the shipped CSV into table rows (CPU only, run in a thread)."""
    out = _Tables()
    dept_region: dict[str, str] = {}
    communes: dict[str, tuple[str, str, int]] = {}  # code -> (norm, département, population)
    subs: list[list[str]] = []
    epcis: list[list[str]] = []
    epci_dept_pop: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    postcodes: set[tuple[str, str]] = set()

    reader = csv.reader(io.StringIO(gzip.decompress(blob).decode("utf-8")))
    for row in reader:
        kind = row[0]
        if kind == "meta":
            out.meta[row[1]] = row[2]
        elif kind == "region":
            out.regions.append((row[1], row[2]))
        elif kind == "departement":
            code, name, region = row[1:4]
            dept_region[code] = region
            out.departements.append((code, name, normalise(name), region))
        elif kind == "commune":
            code, name, dept, pop, epci, cps = row[1:7]
            population = int(pop) if pop else None
            norm = normalise(name)
            rank = population or 0
            communes[code] = (norm, dept, rank)
            out.collectivites.append(
                (code, "commune", name, dept, dept_region.get(dept), population, epci or None, cps)
            )
            out.places.append(
                (code, "commune", name, norm, search_key(norm, "commune"), code, dept, rank)
            )
            postcodes.update((cp, code) for cp in cps.split())
            if epci:
                epci_dept_pop[epci][dept] += rank
        elif kind in _SUB_KINDS:
            subs.append(row)
        elif kind == "epci":
            epcis.append(row)
        else:
            raise ValueError(f"unknown row kind {kind!r} in {DATA_FILE}")

    for kind, code, name, parent, dept, cps in subs:
        parent_norm, _, parent_rank = communes[parent]
        norm = normalise(name)
        if norm == parent_norm:
            continue  # the chef-lieu's déléguée of the same name adds nothing
        out.places.append(
            (
                code,
                _SUB_KINDS[kind],
                name,
                norm,
                search_key(norm, "commune"),
                parent,
                dept,
                parent_rank,
            )
        )
        postcodes.update((cp, parent) for cp in cps.split())

    for _, siren, name, _type, pop in epcis:
        population = int(pop) if pop else None
        by_dept = epci_dept_pop.get(siren, {})
        # The département holding most of its population stands for the EPCI in
        # choices ("CC du Pays de Fayence (83)") and département filters.
        main_dept = min(by_dept, key=lambda d: (-by_dept[d], d)) if by_dept else None
        main_region = dept_region.get(main_dept) if main_dept else None
        out.collectivites.append(
            (siren, "epci", name, main_dept, main_region, population, None, "")
        )
        norm = normalise(name)
        out.places.append(
            (siren, "epci", name, norm, search_key(norm, "epci"), siren, main_dept, population or 0)
        )

    out.postcodes = sorted(postcodes)
    return out


async def ensure_loaded(db: Database) -> bool:
    """Load the shipped data unless this database already holds this exact file.

    Returns True if it loaded.  The check is repeated inside the write
    transaction so that two processes starting together load it only once.
    """
    blob = await asyncio.to_thread(shipped_data)
    digest = hashlib.sha256(blob).hexdigest()
    if await _loaded_digest(db) == digest:
        return False
    tables = await asyncio.to_thread(_parse, blob)
    async with db.transaction():
        if await _loaded_digest(db) == digest:
            return False
        await _write(db, tables, digest)
    return True


async def _loaded_digest(db: Database) -> str | None:
    value = await db.fetchval("SELECT value FROM refdata_meta WHERE key = 'sha256'")
    return None if value is None else str(value)


async def _write(db: Database, tables: _Tables, digest: str) -> None:
    await db.executemany(
        "INSERT INTO regions(code, name) VALUES (?, ?)"
        " ON CONFLICT(code) DO UPDATE SET name = excluded.name",
        tables.regions,
    )
    await db.executemany(
        "INSERT INTO departements(code, name, norm, region) VALUES (?, ?, ?, ?)"
        " ON CONFLICT(code) DO UPDATE SET name = excluded.name, norm = excluded.norm,"
        " region = excluded.region",
        tables.departements,
    )
    await db.executemany(
        "INSERT INTO collectivites"
        "(code, kind, name, departement, region, population, epci, postcodes)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT(code) DO UPDATE SET kind = excluded.kind, name = excluded.name,"
        " departement = excluded.departement, region = excluded.region,"
        " population = excluded.population, epci = excluded.epci,"
        " postcodes = excluded.postcodes",
        tables.collectivites,
    )
    await db.execute("INSERT INTO places_fts(places_fts) VALUES ('delete-all')")
    await db.execute("DELETE FROM places")
    await db.execute("DELETE FROM postcodes")
    await db.executemany(
        "INSERT INTO places(code, kind, name, norm, key, target, departement, population)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        tables.places,
    )
    await db.execute("INSERT INTO places_fts(places_fts) VALUES ('rebuild')")
    await db.executemany("INSERT INTO postcodes(postcode, code) VALUES (?, ?)", tables.postcodes)

    counts: dict[str, int] = defaultdict(int)
    for row in tables.collectivites:
        counts[row[1]] += 1
    meta = {
        **{f"source_{key}": value for key, value in tables.meta.items()},
        "sha256": digest,
        "communes": str(counts["commune"]),
        "epci": str(counts["epci"]),
        "places": str(len(tables.places)),
        "loaded_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    await db.executemany(
        "INSERT INTO refdata_meta(key, value) VALUES (?, ?)"
        " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        sorted(meta.items()),
    )
