"""The similarity engine (storage/similarity): French folding, suggestions, duplicates,
clusters, the index kept up to date from the database, and its cost at start-up."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from bot.core.clock import FrozenClock
from storage import contributions, persons, proposals
from storage.db import Database
from storage.personal_data import erase
from storage.similarity.clusters import clusters, duplicate_pairs
from storage.similarity.index import Need, SimilarityIndex
from storage.similarity.sync import LiveIndex
from storage.similarity.text import fold, stems
from tests.similar_data import load

CEMETERY = "Gérer le cimetière. Registre, plan et concessions du cimetière communal."
BOOKING = "Réserver les salles communales. Planning en ligne de la salle des fêtes."
CANTEEN = "Inscriptions à la cantine. Portail famille pour la cantine et la garderie."


def _index() -> SimilarityIndex:
    index = SimilarityIndex()
    for pid, text in ((1, CEMETERY), (2, BOOKING), (3, CANTEEN)):
        index.put_proposal(pid, text)
    return index


def test_accents_case_elisions_and_plurals_fold_to_the_same_words() -> None:
    assert fold("L'ÉTAT-CIVIL d’Épinal") == "etat civil epinal"
    written = stems("Réservation des SALLES DES FÊTES pour les administrés")
    typed = stems("reservation salle des fetes pour les habitants")
    assert written == typed
    assert stems("signalements") == stems("signaler")


def test_suggestions_see_through_typos_missing_accents_and_synonyms() -> None:
    index = _index()
    for text, expected in (
        ("logiciel pour le cimettiere et les concesions", 1),
        ("louer la salle polyvalente sur internet", 2),
        ("inscriptons a la cantinne des enfants", 3),
        ("tombes et défunts : retrouver un emplacement", 1),
    ):
        found = index.suggest_proposals(text)
        assert found and found[0].id == expected, (text, found)
        assert 0 < found[0].score <= 1.0001


def test_a_need_on_nothing_known_gets_no_suggestion() -> None:
    index = _index()
    assert index.suggest_proposals("Les loups attaquent les troupeaux la nuit") == []
    assert SimilarityIndex().suggest_proposals("cimetière") == []
    assert SimilarityIndex().similar_needs("cimetière") == []


def test_grouped_needs_lead_to_their_proposal_even_without_shared_title_words() -> None:
    index = _index()
    index.put_need(Need(10, "Prêt de barnums et de tables aux associations", "24432", 2, False))
    index.put_need(Need(11, "Prêter le podium et la sono aux associations", "81001", 2, False))
    found = index.suggest_proposals("emprunter des barnums pour une association")
    assert found[0].id == 2
    # the same need, left out of its proposal, is not its own evidence
    alone = index.suggest_proposals(index.needs[10].text, exclude_need=10)
    assert alone[0].score < found[0].score + 1


def test_duplicates_are_looked_for_within_the_collectivite_only() -> None:
    index = _index()
    index.put_need(Need(1, "Logiciel cimetière. Informatiser le registre des concessions", "24432"))
    index.put_need(Need(2, "Logiciel cimetière. Informatiser le registre des concessions", "81001"))
    index.put_need(Need(3, "Cantine. Réserver les repas en ligne", "24432"))
    found = index.duplicates(
        "Le registre du cimetiere et des concessions sur ordinateur", collectivite="24432"
    )
    assert [m.id for m in found] == [1]
    assert index.duplicates("registre du cimetière", collectivite="24432", exclude=[1]) == []


def test_clusters_gather_alike_needs_and_leave_the_odd_one_out() -> None:
    index = SimilarityIndex()
    texts = {
        1: "Gestion du cimetière et des concessions funéraires",
        2: "Logiciel de cimetière : concessions, plan des tombes",
        3: "Plan du cimetiere et emplacements des defunts",
        4: "Réservation en ligne de la salle des fêtes",
        5: "Louer la salle communale sur internet",
        6: "Les loups attaquent les troupeaux",
    }
    for nid, text in texts.items():
        index.put_need(Need(nid, text, f"c{nid}"))
    assert clusters(index, list(texts)) == [[1, 2, 3], [4, 5]]
    pairs = duplicate_pairs(index, list(texts), threshold=0.3)
    assert all(6 not in pair[:2] for pair in pairs)


def test_changes_are_folded_in_and_a_refit_happens_once_they_are_many() -> None:
    index = _index()
    for nid in range(1, 31):
        index.put_need(Need(nid, f"Besoin numéro {nid} sur la voirie communale", "24432"))
    index.refit()
    index.put_need(Need(5, "Cimetière : plan des concessions et des tombes", "24432"))
    assert index.similar_needs("concessions du cimetière", k=1)[0].id == 5
    assert index._fitted_size == 33  # folded in with the vocabulary as it was
    index.remove_need(5)
    assert all(m.id != 5 for m in index.similar_needs("concessions du cimetière"))
    for nid in range(100, 125):
        index.put_need(Need(nid, f"Cantine et garderie, demande {nid}", "81001"))
    index.prepare()
    assert index._fitted_size == 3 + 29 + 25  # past a fifth of the index: refitted


def test_the_labelled_set_scores_well_on_the_half_not_used_for_tuning() -> None:
    """A generous floor under bench/similar.py's figure (0.95), to catch a broken engine."""
    data = load()
    index = SimilarityIndex()
    numbers = {key: n for n, key in enumerate(data.proposals, 1)}
    for key, proposal in data.proposals.items():
        index.put_proposal(numbers[key], proposal.text)
    for need in data.needs:
        owner = numbers[need.proposal] if need.proposal else None
        index.put_need(Need(need.id, need.text, need.commune, owner, owner is None))
    checked = [n for n in data.half("check") if n.proposal]
    hits = sum(
        numbers[n.proposal] in {m.id for m in index.suggest_proposals(n.text, exclude_need=n.id)}
        for n in checked
        if n.proposal
    )
    assert hits / len(checked) >= 0.85


def test_starting_the_bot_does_not_load_scikit_learn() -> None:
    code = (
        "import sys; import bot.app, bot.ops.cli, storage.similarity.sync; "
        "import storage.similarity.clusters; "
        "assert 'sklearn' not in sys.modules and 'scipy' not in sys.modules, 'loaded'"
    )
    root = Path(__file__).resolve().parent.parent
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root)


async def _person(db: Database, now: datetime, name: str) -> int:
    return (await persons.ensure(db, f"memory:{name}", now=now)).id


async def test_live_index_loads_at_start_and_follows_every_change(
    db_path: Path, clock: FrozenClock
) -> None:
    db = await Database.open(db_path)
    now = clock.now()
    try:
        async with db.transaction():
            cid = await db.execute(
                "INSERT INTO consultations(slug, title, created_at) VALUES ('c', 'C', ?)",
                (now.isoformat(),),
            )
            author = await _person(db, now, "maire")
            first = await contributions.create(
                db,
                cid,
                author_id=author,
                collectivite="24432",
                title="Gestion du cimetière",
                body="Registre des concessions",
                theme="data",
                now=now,
            )
            proposal = await proposals.create(
                db, cid, title="Gérer le cimetière", summary=CEMETERY, theme="data", now=now
            )
        live = LiveIndex(db, cid)
        async with live.reading() as index:
            assert set(index.needs) == {first}
            assert index.suggest_proposals("concessions du cimetière")[0].id == proposal.id
        await live.settled()
        assert await db.fetchval("SELECT COUNT(*) FROM similarity_changes") == 0

        async with db.transaction():
            second = await contributions.create(
                db,
                cid,
                author_id=author,
                collectivite="24432",
                title="Salle des fêtes",
                body="Réserver la salle en ligne",
                theme="data",
                now=now,
            )
            await contributions.group(db, [first], proposal.id, staff_id=author, now=now)
            await proposals.update(db, proposal.id, now=now, title="Cimetières et concessions")
        async with live.reading() as index:
            assert index.needs[first].proposal_id == proposal.id
            assert not index.needs[first].waiting
            assert index.needs[second].waiting
            assert index.proposals[proposal.id].startswith("Cimetières et concessions")

        async with db.transaction():
            await contributions.withdraw(db, second, author, now)
            await erase(db, author, now)
        async with live.reading() as index:
            assert index.needs == {}  # withdrawn, then the author's words erased

        # a fresh process rebuilds the index from the database alone
        fresh = LiveIndex(db, cid)
        async with fresh.reading() as index:
            assert index.needs == {} and set(index.proposals) == {proposal.id}
        await fresh.close()
        await live.close()
    finally:
        await db.close()


def test_needs_added_after_a_fit_on_almost_nothing_are_found() -> None:
    """A first question on an empty index used to fix a vocabulary of nothing: the needs
    added next became zero vectors, alike to nothing, until twenty more changes."""
    index = SimilarityIndex()
    assert index.similar_needs("cimetière") == []
    index.put_need(Need(1, "Logiciel pour le cimetière et les concessions", "24081"))
    index.put_proposal(1, CEMETERY)
    assert [m.id for m in index.similar_needs("concessions du cimetière")] == [1]
    assert [m.id for m in index.suggest_proposals("concessions du cimetière")] == [1]


def test_the_labelled_set_reads_the_same_from_json(tmp_path: Path) -> None:
    """bench/similar.py --data takes a set kept as JSON: same needs, halves and pairs."""
    data = load()
    assert len(data.needs) >= 300 and len(data.proposals) >= 40
    path = tmp_path / "set.json"
    path.write_text(
        json.dumps(
            {
                "proposals": [
                    {"key": p.key, "title": p.title, "summary": p.summary}
                    for p in data.proposals.values()
                ],
                "needs": [
                    {
                        "commune": n.commune,
                        "title": n.title,
                        "body": n.body,
                        "proposal": n.proposal,
                        "duplicate_of": n.duplicate_of,
                    }
                    for n in data.needs
                ],
            }
        ),
        encoding="utf-8",
    )
    again = load(path)
    assert again.needs == [replace(n, also=()) for n in data.needs]
    assert again.duplicate_pairs(again.needs) == data.duplicate_pairs(data.needs)


# Written after the thresholds and tables were settled, never used to tune them.
FRESH = [
    ("Dématérialiser les demandes de location de la salle polyvalente", "P09"),
    ("Outil pour gérer les arrêtés du maire et leur publication", "P43"),
    ("appli pour prevenir les habitants quand il y a une coupure d'eau", "P14"),
    ("Numériser le plan local d'urbanisme et le cadastre", "P10"),
    ("Logiciel de facturation de la cantine scolaire", "P27"),
    ("Former les élus à l'usage des tablettes pour le conseil municipal", "P21"),
    ("Plateforme pour que les habitants proposent des idées de projets", "P07"),
    ("Gestion des prêts de livres de la bibliothèque municipale", "P19"),
    ("Alerte SMS en cas d'inondation", "P33"),
    ("Sécuriser les sauvegardes des postes de la mairie", "P20"),
    ("trouver des subventions pour refaire la toiture de l'ecole", "P17"),
    ("Covoiturage pour les personnes agées vers le marché", "P18"),
    ("Recenser les commerces ambulants et leurs jours de passage", "P12"),
    ("Paiement de la cantine par carte bleue sur internet", "P29"),
    ("Suivi des demandes de travaux faites par les habitants", "P01"),
]


def test_needs_written_after_tuning_find_their_proposal_by_its_words_alone() -> None:
    """Cold (no need grouped yet): the proposals' titles and summaries only."""
    data = load()
    index = SimilarityIndex()
    keys = list(data.proposals)
    for number, key in enumerate(keys, 1):
        index.put_proposal(number, data.proposals[key].text)
    hits = [
        expected in {keys[m.id - 1] for m in index.suggest_proposals(text)}
        for text, expected in FRESH
    ]
    assert sum(hits) >= 13, hits
