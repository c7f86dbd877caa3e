"""storage.refdata (loading the shipped data) and storage.collectivites (lookup).

Expected values were read from @etalab/decoupage-administratif 6.0.0 (vintage
2026), the data shipped in storage/data.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage.collectivites import (
    PAGE_SIZE,
    Collectivite,
    Match,
    epci_members,
    get,
    lookup,
    lookup_page,
    normalise,
)
from storage.db import Database
from storage.refdata import ensure_loaded

FAYENCE_CC = "200004802"


async def _load(path: Path) -> None:
    db = await Database.open(path)
    try:
        await ensure_loaded(db)
    finally:
        await db.close()


@pytest.fixture(scope="module")
def loaded_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One loaded database file for the whole module: loading takes about a second."""
    path = tmp_path_factory.mktemp("refdata") / "guichet.db"
    asyncio.run(_load(path))
    return path


@pytest.fixture
async def db(loaded_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(loaded_path)
    try:
        yield database
    finally:
        await database.close()


def codes(matches: list[Match]) -> list[str]:
    return [m.collectivite.code for m in matches]


# -- normalise -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Saint-Julien-de-Lampon", "saint julien de lampon"),
        ("st julien de lampon", "saint julien de lampon"),
        ("St. Julien", "saint julien"),
        ("STE-MARIE", "sainte marie"),
        ("L'Île-d'Yeu", "l ile d yeu"),
        ("L’Île-d’Yeu", "l ile d yeu"),
        ("Cœur de Sologne", "coeur de sologne"),
        ("Paris 15e Arrondissement", "paris 15 arrondissement"),
        ("Lyon 1er", "lyon 1"),
        ("  --  ", ""),
    ],
)
def test_normalise(typed: str, expected: str) -> None:
    assert normalise(typed) == expected


# -- loading ---------------------------------------------------------------------


async def test_loads_once_and_again_when_the_shipped_file_changes(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "guichet.db")
    try:
        assert await ensure_loaded(db) is True
        assert await ensure_loaded(db) is False

        communes = await db.fetchval("SELECT COUNT(*) FROM collectivites WHERE kind = 'commune'")
        epci = await db.fetchval("SELECT COUNT(*) FROM collectivites WHERE kind = 'epci'")
        assert 34_800 <= communes <= 35_100
        assert 1_200 <= epci <= 1_300
        meta = {r["key"]: r["value"] for r in await db.fetchall("SELECT * FROM refdata_meta")}
        assert meta["source_version"] == "6.0.0"
        assert meta["communes"] == str(communes)

        # Something outside this module points at a commune; a reload must keep it valid.
        await db.execute("CREATE TABLE pointer (code TEXT NOT NULL REFERENCES collectivites(code))")
        await db.execute("INSERT INTO pointer VALUES ('24432')")
        await db.execute("UPDATE refdata_meta SET value = 'older' WHERE key = 'sha256'")
        assert await ensure_loaded(db) is True
        assert await db.fetchval("SELECT COUNT(*) FROM places WHERE code = '24432'") == 1
        assert await db.fetchval("SELECT COUNT(*) FROM collectivites") == communes + epci
        assert await db.fetchval("SELECT COUNT(*) FROM pointer") == 1
    finally:
        await db.close()


# -- get / members ---------------------------------------------------------------


async def test_get_commune(db: Database) -> None:
    found = await get(db, "24432")
    assert found == Collectivite(
        code="24432",
        kind="commune",
        name="Saint-Julien-de-Lampon",
        departement="24",
        departement_name="Dordogne",
        region="75",
        population=660,
        epci=found.epci if found else None,
        postcodes=("24370",),
    )
    assert found is not None and found.epci is not None and len(found.epci) == 9


async def test_get_commune_whose_deleguee_shares_its_code(db: Database) -> None:
    # 46311 is both Sousceyrac-en-Quercy and its commune déléguée Sousceyrac.
    found = await get(db, "46311")
    assert found is not None and found.name == "Sousceyrac-en-Quercy"
    assert await get(db, "24433") is None  # a déléguée only: not a collectivité
    assert await get(db, "nope") is None


async def test_epci_and_its_members(db: Database) -> None:
    epci = await get(db, FAYENCE_CC)
    assert epci is not None
    assert (epci.kind, epci.name, epci.departement) == ("epci", "CC du Pays de Fayence", "83")
    members = await epci_members(db, FAYENCE_CC)
    assert [m.name for m in members] == [
        "Bagnols-en-Forêt",
        "Callian",
        "Fayence",
        "Mons",
        "Montauroux",
        "Saint-Paul-en-Forêt",
        "Seillans",
        "Tanneron",
        "Tourrettes",
    ]
    assert all(m.epci == FAYENCE_CC for m in members)


# -- lookup ----------------------------------------------------------------------


async def test_abbreviated_saint_without_accents(db: Database) -> None:
    matches = await lookup(db, "st julien de lampon")
    assert codes(matches) == ["24432"]
    assert matches[0].via_kind == "commune" and matches[0].exact


@pytest.mark.parametrize("query", ["saint julien 24", "St-Julien (24)", "saint-julien, 24"])
async def test_departement_narrows_to_that_departement(db: Database, query: str) -> None:
    matches = await lookup(db, query)
    assert "24432" in codes(matches)
    assert "24423" in codes(matches)  # Saint-Julien-Innocence-Eulalie
    assert all(m.collectivite.departement == "24" for m in matches)
    assert not any(m.exact for m in matches)


async def test_departement_by_name_or_first(db: Database) -> None:
    assert "24432" in codes(await lookup(db, "saint julien dordogne"))
    assert codes(await lookup(db, "24 st julien de lampon")) == ["24432"]


async def test_corsican_departement_code(db: Database) -> None:
    assert codes(await lookup(db, "ste lucie de tallano, 2A")) == ["2A308"]
    assert codes(await lookup(db, "Sainte-Lucie-de-Tallano (2a)")) == ["2A308"]
    # No Saint-Julien in Corse-du-Sud: the département is not ignored.
    assert await lookup(db, "saint-julien, 2A") == []


async def test_whole_name_ending_like_a_departement(db: Database) -> None:
    # "Lot" is a département, but the whole name is a commune of Lot-et-Garonne.
    assert codes(await lookup(db, "villeneuve sur lot"))[0] == "47323"


async def test_postcode_lists_its_communes(db: Database) -> None:
    matches = await lookup(db, "24370", limit=20)
    by_postcode = {m.collectivite.code for m in matches if m.via_kind == "postcode"}
    assert by_postcode == {
        "24074",
        "24081",
        "24325",
        "24336",
        "24432",
        "24470",
        "24535",
        "24574",
    }
    # 24370 is also the INSEE code of Saint-Antoine-de-Breuilh: after the
    # postcode's communes, never in place of one of them.
    assert codes(matches)[-1] == "24370"
    first = await lookup_page(db, "24370")
    assert set(codes(first.matches)) == by_postcode and first.more
    second = await lookup_page(db, "24370", offset=first.offset + len(first.matches))
    assert codes(second.matches) == ["24370"] and not second.more


async def test_a_postcode_of_thirteen_communes_lists_them_all_page_by_page(db: Database) -> None:
    seen: list[str] = []
    page = await lookup_page(db, "24250")
    while True:
        assert len(page.matches) <= PAGE_SIZE
        seen += codes(page.matches)
        if not page.more:
            break
        page = await lookup_page(db, "24250", offset=len(seen))
    names = {m.collectivite.name for m in await lookup(db, "24250", limit=100)}
    assert len(seen) == len(set(seen)) == 13
    assert {"Nabirat", "Bouzic", "Florimont-Gaumier"} <= names


async def test_every_commune_is_reachable_by_each_of_its_postcodes(db: Database) -> None:
    """Over the whole reference data, paging through a postcode reaches all its
    communes, and they all come before any commune found by its INSEE code."""
    rows = await db.fetchall(
        "SELECT pc.postcode, pc.code FROM postcodes pc JOIN collectivites c ON c.code = pc.code"
        " WHERE c.kind = 'commune'"
    )
    expected: dict[str, set[str]] = {}
    for row in rows:
        expected.setdefault(row["postcode"], set()).add(row["code"])
    communes = await db.fetchall("SELECT code, postcodes FROM collectivites WHERE kind = 'commune'")
    for row in communes:  # the postcodes a person reads on screen are the ones searched
        for postcode in row["postcodes"].split():
            assert row["code"] in expected[postcode], (row["code"], postcode)
    assert len(expected) > 6000 and sum(map(len, expected.values())) > 34000
    unreachable = []
    for postcode, members in expected.items():
        listed: list[Match] = []
        offset = 0
        while True:
            page = await lookup_page(db, postcode, offset=offset, size=PAGE_SIZE)
            listed += page.matches
            offset += len(page.matches)
            if not page.more:
                break
        first = codes(listed[: len(members)])
        if set(first) != members or any(m.via_kind != "postcode" for m in listed[: len(members)]):
            unreachable.append(postcode)
    assert unreachable == []


async def test_pages_neither_skip_nor_repeat_a_name_match(db: Database) -> None:
    everything = codes(await lookup(db, "saint", limit=60))
    paged: list[str] = []
    for offset in range(0, 60, PAGE_SIZE):
        paged += codes((await lookup_page(db, "saint", offset=offset)).matches)
    assert paged[:60] == everything and len(set(everything)) == 60


async def test_postcode_next_to_the_name(db: Database) -> None:
    carlux = await lookup(db, "24370 carlux")
    assert codes(carlux) == ["24081", "24336"]  # Carlux, then Prats-de-Carlux
    assert [m.exact for m in carlux] == [True, False]
    assert codes(await lookup(db, "saint julien 24370")) == ["24432"]


@pytest.mark.parametrize(
    ("query", "code"), [("24432", "24432"), ("2A004", "2A004"), ("2a004", "2A004")]
)
async def test_insee_code(db: Database, query: str, code: str) -> None:
    matches = await lookup(db, query)
    assert codes(matches) == [code]
    assert matches[0].exact


@pytest.mark.parametrize("query", ["ile d'yeu", "L'Île-d'Yeu", "l’ile d’yeu", "ILE D YEU"])
async def test_article_and_apostrophes(db: Database, query: str) -> None:
    matches = await lookup(db, query)
    assert codes(matches)[0] == "85113"
    assert matches[0].exact


@pytest.mark.parametrize("query", ["paris 15", "Paris 15e Arrondissement", "paris 15eme"])
async def test_arrondissement_leads_to_its_commune(db: Database, query: str) -> None:
    matches = await lookup(db, query)
    assert codes(matches) == ["75056"]
    assert matches[0].via_kind == "arrondissement-municipal"
    assert matches[0].via_name == "Paris 15e Arrondissement"


async def test_arrondissement_code_leads_to_its_commune(db: Database) -> None:
    matches = await lookup(db, "75115")
    assert codes(matches) == ["75056"]
    assert matches[0].via_kind == "arrondissement-municipal"


async def test_deleguee_leads_to_its_commune(db: Database) -> None:
    matches = await lookup(db, "arbignieu")
    assert codes(matches) == ["01015"]
    assert matches[0].collectivite.name == "Arboys en Bugey"
    assert (matches[0].via_name, matches[0].via_kind) == ("Arbignieu", "commune-deleguee")
    associee = await lookup(db, "cordieux")  # commune associée of 01262
    assert codes(associee) == ["01262"]
    assert associee[0].via_kind == "commune-associee"


async def test_same_name_commune_and_deleguee_counts_once(db: Database) -> None:
    matches = await lookup(db, "saint julien", limit=20)
    assert len(codes(matches)) == len(set(codes(matches)))
    exact_communes = [m for m in matches if m.exact and m.via_kind == "commune"]
    assert {m.collectivite.code for m in exact_communes} == {
        "21555",
        "22307",
        "34271",
        "69215",
        "83113",
        "88421",
    }
    # Current communes first, then former communes of the same name.
    kinds = [m.via_kind for m in matches if m.exact]
    assert kinds == sorted(kinds, key=lambda k: k != "commune")


async def test_population_breaks_ties(db: Database) -> None:
    matches = await lookup(db, "paris")
    assert codes(matches)[0] == "75056"
    assert matches[0].exact and not matches[1].exact
    exact = await lookup(db, "saint julien")
    populations = [m.collectivite.population or 0 for m in exact if m.exact][:6]
    assert populations == sorted(populations, reverse=True)


async def test_epci_by_siren(db: Database) -> None:
    matches = await lookup(db, FAYENCE_CC)
    assert codes(matches) == [FAYENCE_CC]
    assert matches[0].via_kind == "epci"
    assert codes(await lookup(db, "200 004 802")) == [FAYENCE_CC]


@pytest.mark.parametrize(
    "query",
    [
        "CC du Pays de Fayence",
        "cc pays de fayence",
        "communauté de communes du Pays de Fayence",
        "Communaute de communes pays de fayence",
        "pays de fayence",
        "cc fayence",
    ],
)
async def test_epci_by_name(db: Database, query: str) -> None:
    matches = await lookup(db, query)
    assert codes(matches)[0] == FAYENCE_CC
    assert matches[0].collectivite.kind == "epci"


async def test_commune_before_its_namesake_epci(db: Database) -> None:
    assert codes(await lookup(db, "fayence"))[:2] == ["83055", FAYENCE_CC]
    assert codes(await lookup(db, "Saint-Étienne Métropole"))[0] == "244200770"


@pytest.mark.parametrize("query", ["xqzzkw", "zzzzzz 24", "99999", "123456789", "2C004"])
async def test_garbage_finds_nothing(db: Database, query: str) -> None:
    assert await lookup(db, query) == []


@pytest.mark.parametrize("query", ["", "   ", "-'’.", "()"])
async def test_empty_query_finds_nothing(db: Database, query: str) -> None:
    assert await lookup(db, query) == []


async def test_huge_query_is_refused_fast(db: Database) -> None:
    started = time.perf_counter()
    assert await lookup(db, "saint julien " * 8_000) == []
    assert await lookup(db, "a" * 100_000) == []
    assert time.perf_counter() - started < 0.05


async def test_limit(db: Database) -> None:
    assert len(await lookup(db, "saint", limit=3)) == 3
    assert await lookup(db, "saint", limit=0) == []
