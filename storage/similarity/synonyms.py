"""Everyday synonyms of French local administration, folded onto one word.

Mayors and secretaries name the same thing many ways ("habitants",
"administrés", "usagers"; "site web", "site internet"); stems and character
n-grams cannot see that two different words mean the same, so these few
families are folded before stemming. Entries are accentless and lowercase, as
``text.fold`` leaves the text; phrases are matched on word boundaries, longest
first. Kept to words of general use in town halls, not to any one data set: a
family too wide (say "outil" for "logiciel") would make unrelated needs look
alike.
"""

from __future__ import annotations

# canonical word -> the words and phrases that mean it here, separated by ", "
FAMILIES: dict[str, str] = {
    "habitant": (
        "habitants, administre, administres, usager, usagers, citoyen, citoyens, "
        "citoyenne, citoyennes, population, administree, administrees, villageois, "
        "residents, resident"
    ),
    "mairie": "hotel de ville, maison commune, secretariat de mairie",
    "site": "site internet, site web, site web communal, siteweb, portail web",
    "logiciel": (
        "logiciels, application, applications, appli, applis, app, progiciel, progiciels, "
        "solution logicielle, solutions logicielles"
    ),
    "ordinateur": "ordinateurs, pc, poste informatique, postes informatiques, laptop",
    "visio": (
        "visioconference, visioconferences, visio conference, video conference, "
        "videoconference, reunion a distance, reunions a distance"
    ),
    "numeriser": "dematerialiser, dematerialisation, numerisation, digitaliser, digitalisation",
    "financement": (
        "financements, subvention, subventions, aide financiere, aides financieres, "
        "dotation, dotations, appel a projets, appels a projets, fonds"
    ),
    "signaler": "signalement, signalements, reclamation, reclamations, doleance, doleances",
    "voirie": (
        "route, routes, chaussee, chaussees, nid de poule, nids de poule, trottoir, trottoirs"
    ),
    "carte": (
        "cartographie, cartographique, cartes, sig, plan cadastral, cadastre, geographique, "
        "geographiques"
    ),
    "ecole": "ecoles, scolaire, scolaires, groupe scolaire",
    "cantine": "restauration scolaire, cantines",
    "reunion": "reunions, seance, seances",
    "conseil": "conseil municipal, conseil communautaire, conseillers municipaux, conseillers",
    "elu": "elus, elue, elues, edile, ediles",
    "agent": (
        "agents, personnel communal, employes communaux, salaries, secretaire de mairie, "
        "secretaires de mairie"
    ),
    "deliberation": "deliberations, arretes, arrete municipal, actes administratifs",
    "intercommunalite": (
        "communaute de communes, com com, comcom, epci, interco, agglomeration, "
        "agglo, communaute d agglomeration"
    ),
    "covoiturage": (
        "autopartage, voiture partagee, voitures partagees, vehicule partage, vehicules "
        "partages, co voiturage"
    ),
    "salle": "salle des fetes, salle communale, salles communales, salle polyvalente, foyer rural",
    "reserver": "reservation, reservations, louer, location",
    "association": "associations, asso, assos, associatif, associative",
    "courriel": "mail, mails, email, emails, e mail, mel, messagerie",
    "document": "documents, papiers, dossiers papier, archives, archivage",
    "donnee": "donnees, data, open data, opendata",
    "formation": "formations, former, se former, apprendre, tutoriel, tutoriels",
    "connexion": "wifi, wi fi, haut debit, tres haut debit, fibre, reseau internet",
    "commerce": "commerces, commercants, commercant, boutiques, artisans",
    "urbanisme": (
        "permis de construire, autorisation d urbanisme, autorisations d urbanisme, ads, "
        "plu, declaration prealable"
    ),
    "etatcivil": "etat civil, actes d etat civil, acte de naissance, actes de naissance",
    "cimetiere": "cimetieres, concession funeraire, concessions funeraires, concessions",
    "securite": (
        "cybersecurite, cyber securite, piratage, rancongiciel, cyberattaque, cyber attaque"
    ),
    "ccas": "action sociale, aide sociale, centre communal d action sociale",
    "facture": "factures, facturation, paiement, paiements, payer",
}


def phrase_table() -> list[tuple[str, str]]:
    """(phrase, canonical) pairs, longest phrase first so "salle des fetes" beats "salle".

    Each phrase also comes with its words in the plural ("salles des fetes"),
    so the table lists the singular only.
    """
    table: dict[str, str] = {}
    for canon, phrases in FAMILIES.items():
        for phrase in phrases.split(", "):
            for variant in _plurals(phrase.split()):
                table.setdefault(variant, canon)
    return sorted(table.items(), key=lambda pair: (-len(pair[0]), pair[0]))


def _plurals(words: list[str]) -> list[str]:
    forms = [[w] if w.endswith(("s", "x")) or len(w) < 3 else [w, f"{w}s"] for w in words]
    variants = [""]
    for choices in forms:
        variants = [f"{head} {word}".strip() for head in variants for word in choices]
    return variants
