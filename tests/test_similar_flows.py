"""Similar needs in the flows: what a mayor sees before sending a need (French and
English), duplicates within a collectivité, the staff's suggested proposals and
clusters — and that nothing shown to a participant says who wrote a need."""

from __future__ import annotations

from bot.backends.memory import MemoryBackend
from handlers.needs import SendNeed
from handlers.proposal_common import ShowProposal
from handlers.similar import IntoNew, TakeOut
from storage import contributions, persons, proposals
from tests.conftest import onboard, text

CEMETERY = "Gestion du cimetière"
CEMETERY_BODY = "Informatiser le registre des concessions et le plan des tombes du cimetière."
CANTEEN = "Inscriptions à la cantine"
CANTEEN_BODY = "Un portail pour inscrire les enfants à la cantine et à la garderie en ligne."
PLACES = {  # user → INSEE code
    "lampon": "24432",
    "carlux": "24081",
    "bordeaux": "33063",
    "yeu": "85113",
    "paris": "75056",
    "lyon": "69123",
    "marseille": "13055",
    "sarlat": "24520",
}


async def _need(chat: MemoryBackend, user: str, title: str, body: str, *, send: bool = True) -> str:
    """Write a need up to its summary (theme 1), and send it unless told not to."""
    english = user == "bordeaux"
    await chat.say(user, "/need" if english else "/besoin")
    await chat.say(user, title)
    await chat.say(user, body)
    summary = text(await chat.say(user, "1"))
    if send:
        sent = text(await chat.say(user, "1"))
        assert "recorded" in sent or "enregistré" in sent
    return summary


async def _people(chat: MemoryBackend, *users: str) -> None:
    for user in users:
        await onboard(chat, user, query=PLACES[user], language="2" if user == "bordeaux" else "1")


async def _staff(chat: MemoryBackend) -> None:
    await chat.say("staff", "/aide")
    person = await persons.by_identity(chat.app.services.db, chat.identity("staff"))
    assert person is not None
    await persons.set_role(chat.app.services.db, person.id, "staff")


async def _proposal(chat: MemoryBackend, title: str, summary: str) -> proposals.Proposal:
    db = chat.app.services.db
    consultation_id = await db.fetchval("SELECT id FROM consultations")
    async with db.transaction():
        return await proposals.create(
            db,
            consultation_id,
            title=title,
            summary=summary,
            theme="data",
            now=chat.app.services.clock.now(),
        )


async def _statuses(chat: MemoryBackend) -> dict[int, str]:
    rows = await chat.app.services.db.fetchall("SELECT id, status FROM contributions")
    return {int(r["id"]): str(r["status"]) for r in rows}


async def test_a_mayor_sees_what_already_exists_before_sending(chat: MemoryBackend) -> None:
    await _people(chat, "carlux", "lampon")
    await _need(
        chat, "carlux", "Logiciel pour le cimetière", "Le plan des tombes et les concessions."
    )
    await _need(chat, "carlux", CANTEEN, CANTEEN_BODY)
    proposal = await _proposal(
        chat,
        "Gérer le cimetière",
        "Tenir le registre et le plan du cimetière, suivre les concessions.",
    )
    summary = await _need(chat, "lampon", "cimetiere", CEMETERY_BODY, send=False)
    assert "Déjà proposé ou envoyé, et proche du vôtre :" in summary
    assert "Proposition n° 1 : « Gérer le cimetière »" in summary
    assert "Un besoin d'une autre collectivité : « Logiciel pour le cimetière »" in summary
    assert "Inscriptions à la cantine" not in summary  # not alike: not shown
    assert "carlux" not in summary.lower()  # never who sent it, nor from where
    assert "[Ouvrir la proposition 1]" in summary
    assert "[Envoyer]" in summary and "doublon" not in summary
    opened = text(await chat.press("lampon", ShowProposal(proposal=proposal.id).pack()))
    assert "Proposition n° 1 : Gérer le cimetière" in opened
    # going on: the need is still there to send
    assert "est enregistré" in text(await chat.press("lampon", SendNeed().pack()))
    assert len(await _statuses(chat)) == 3


async def test_in_english_and_with_nothing_alike(chat: MemoryBackend) -> None:
    await _people(chat, "lampon", "bordeaux")
    summary = await _need(chat, "bordeaux", "Canteen registration online", CANTEEN_BODY, send=False)
    assert "already" not in summary  # nothing else exists yet
    await chat.press("bordeaux", SendNeed().pack())
    await _need(chat, "lampon", CANTEEN, CANTEEN_BODY)
    summary = await _need(
        chat, "bordeaux", "School canteen", "inscriptions cantine et garderie", send=False
    )
    assert "Already proposed or sent, and close to yours:" in summary
    assert "A need from another collectivité: “Inscriptions à la cantine”" in summary
    assert "You can send yours all the same" in summary
    assert "lampon" not in summary.lower() and "Saint-Julien" not in summary


async def test_a_need_already_sent_for_the_collectivite_is_flagged(chat: MemoryBackend) -> None:
    await _people(chat, "lampon")
    await onboard(chat, "adjoint", query=PLACES["lampon"])
    await _need(chat, "lampon", CEMETERY, CEMETERY_BODY)
    summary = await _need(
        chat,
        "adjoint",
        "Cimetière : le registre",
        "Registre des concessions sur ordinateur",
        send=False,
    )
    assert (
        "Votre collectivité a déjà envoyé un besoin très proche : « Gestion du cimetière »"
        in summary
    )
    assert "lampon" not in summary.split("Au nom de")[1].split("\n", 1)[1].lower()  # nor named
    own = await _need(
        chat, "lampon", "Le cimetière", "Le plan des tombes et les concessions", send=False
    )
    assert "Vous avez déjà envoyé un besoin très proche : « Gestion du cimetière »" in own


async def test_staff_see_suggested_proposals_and_group_with_one_press(
    chat: MemoryBackend,
) -> None:
    await _people(chat, "lampon")
    await _staff(chat)
    await _proposal(chat, "Gérer le cimetière", "Registre, plan et concessions du cimetière.")
    await _proposal(chat, "Réserver les salles", "Planning en ligne des salles communales.")
    await _need(chat, "lampon", CEMETERY, CEMETERY_BODY)
    queue = text(await chat.say("staff", "/moderation"))
    assert "Propositions suggérées :" in queue
    assert "1. « Gérer le cimetière » (ressemblance " in queue
    assert "[Regrouper dans la proposition 1 (" in queue
    assert "Réserver les salles" not in queue.split("Propositions suggérées")[1]
    [row] = [c for c in (await _statuses(chat)).items()]
    replies = text(await chat.say("staff", "5"))  # the suggestion, after the four decisions
    assert "est regroupée dans la proposition 1" in replies
    assert (await _statuses(chat))[row[0]] == "grouped"


async def test_staff_group_a_cluster_into_a_new_proposal_taking_one_out(
    chat: MemoryBackend,
) -> None:
    users = ["lampon", "carlux", "yeu", "paris", "lyon", "marseille", "sarlat"]
    await _people(chat, *users)
    await _staff(chat)
    wordings = [
        ("Gestion du cimetière", "Registre des concessions du cimetière"),
        ("Logiciel cimetière", "Le plan des tombes et les concessions"),
        ("cimetiere", "informatiser les concessions funeraires"),
        ("Plan du cimetière", "Retrouver les tombes et les défunts"),
        ("Concessions funéraires", "Suivre les échéances des concessions du cimetière"),
        ("Cimetière numérique", "Photos des tombes reliées aux concessions"),
        ("Registre du cimetière", "Le cahier des concessions sur ordinateur"),
    ]
    for user, (title, body) in zip(users, wordings, strict=True):
        await _need(chat, user, title, body)
    await _need(chat, "lampon", CANTEEN, CANTEEN_BODY)
    await _need(chat, "carlux", "Inscription cantine", "inscrire les enfants à la cantine en ligne")
    listed = text(await chat.say("staff", "/ressemblances"))
    assert "1. Ces 7 contributions se ressemblent" in listed
    assert "2. Ces 2 contributions se ressemblent" in listed
    opened = text(await chat.say("staff", "1"))
    assert "Ces 7 contributions se ressemblent" in opened
    assert "[Retirer le n° 7]" in opened
    after = text(await chat.press("staff", TakeOut(contribution=7).pack()))
    assert "Ces 6 contributions se ressemblent" in after and "n° 7 " not in after
    await chat.press("staff", IntoNew().pack())
    await chat.say("staff", "Gérer le cimetière")
    await chat.say("staff", "Registre, plan et concessions du cimetière communal.")
    done = text(await chat.say("staff", "7"))  # data
    assert "La proposition 1 « Gérer le cimetière » est créée, avec 6 contributions" in done
    statuses = await _statuses(chat)
    assert [statuses[i] for i in range(1, 8)] == ["grouped"] * 6 + ["submitted"]
    assert "regroupé" in text(chat.inbox("lampon"))  # authors are told, as for one
    again = text(await chat.say("staff", "/ressemblances"))
    assert "Ces 2 contributions se ressemblent" in again and "cimeti" not in again.lower()
    staff = await persons.by_identity(chat.app.services.db, chat.identity("staff"))
    assert staff is not None
    await persons.set_locale(chat.app.services.db, staff.id, "en")
    english = text(await chat.say("staff", "/similar"))
    assert "1. These 2 contributions look alike: “Inscriptions à la cantine”" in english
    assert "réservée à l'équipe" in text(await chat.say("lampon", "/ressemblances"))


async def test_suggestions_never_act_by_themselves(chat: MemoryBackend) -> None:
    await _people(chat, "lampon")
    await _staff(chat)
    await _proposal(chat, "Gérer le cimetière", "Registre, plan et concessions du cimetière.")
    await _need(chat, "lampon", CEMETERY, CEMETERY_BODY)
    await chat.say("staff", "/moderation")
    await chat.say("staff", "/ressemblances")
    row = await contributions.get(chat.app.services.db, 1)
    assert row is not None and row.status == "submitted"
