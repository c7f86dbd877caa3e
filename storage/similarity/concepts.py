"""Topics of local public action, each with the words that point to it.

Synonyms (``synonyms``) fold words that mean the same; these families are
wider: "tombe", "défunt", "concession" and "columbarium" are not synonyms,
but a need that uses any of them is about the cemetery. Without a language
model (nothing is downloaded here), short needs written in different words
share no stem; a shared topic tag, added next to the words (never replacing
them), lets them meet. The families follow the fields a town hall works in,
as a secretary would list them, not the wording of any one data set; a word
that belongs to several fields (say "tablette": school or field work) is
left out rather than guessed.
"""

from __future__ import annotations

# topic -> accentless words and phrases separated by ", " (any form: they are stemmed
# like the texts)
TOPICS: dict[str, str] = {
    "cimetiere": (
        "cimetiere, tombe, tombes, defunt, defunts, inhume, inhumation, sepulture, "
        "columbarium, ossuaire, funeraire, obseques, caveau"
    ),
    "culture": (
        "culture, culturel, culturelle, mediatheque, bibliotheque, livres, lecture, musee, "
        "spectacle, spectacles, exposition, concert, theatre, cinema, patrimoine culturel, "
        "billetterie"
    ),
    "tourisme": (
        "tourisme, touristes, touristique, visiteurs, randonnee, sentier, sentiers, "
        "hebergement, hebergements, office de tourisme, visite, visites, monuments, "
        "patrimoine"
    ),
    "social": (
        "ccas, social, sociale, sociaux, precarite, vulnerable, vulnerables, isolees, "
        "isoles, seniors, aines, personnes agees, solidaire, solidarite, domiciliation, aide "
        "alimentaire"
    ),
    "inclusion": (
        "inclusion, fracture, mediation numerique, conseiller numerique, aidant, aidants, "
        "ateliers numeriques, illectronisme, eloignes du numerique"
    ),
    "energie": (
        "energie, energetique, energetiques, electricite, chauffage, gaz, consommation, "
        "consommations, carbone, renovation energetique, decret tertiaire, sobriete, "
        "ecologique, climat, isolation"
    ),
    "eau": (
        "eau potable, assainissement, fuite, fuites, captage, spanc, compteurs d eau, station d "
        "epuration, reseau d eau"
    ),
    "dechet": (
        "dechet, dechets, ordures, tri, dechetterie, decheterie, poubelle, poubelles, bacs, "
        "encombrants, collecte, ramassage, compost, recyclage"
    ),
    "ecole": (
        "ecole, classe, classes, eleves, enseignants, instituteur, maternelle, elementaire, "
        "primaire, college"
    ),
    "enfance": (
        "cantine, garderie, periscolaire, centre de loisirs, accueil de loisirs, centre "
        "aere, creche, petite enfance, portail famille, repas, familles"
    ),
    "urbanisme": (
        "urbanisme, permis, declaration prealable, certificat d urbanisme, instruction, "
        "gnau, lotissement, construire, travaux de construction"
    ),
    "carte": (
        "carte, cartes, cartographie, cartographier, geolocalisation, cadastre, geomatique, "
        "geomaticien, couches, parcelles, parcelle"
    ),
    "batiment": (
        "batiment, batiments, erp, locaux communaux, toiture, chaudiere, extincteurs, "
        "accessibilite, maintenance des batiments, etablissements recevant du public"
    ),
    "voirie": (
        "voirie, nids de poule, trou, trous, chemins, voies communales, lampadaire, "
        "lampadaires, eclairage public, panneaux, signalisation, marquage"
    ),
    "securite": (
        "securite informatique, cybersecurite, pirate, piratage, virus, antivirus, "
        "rancongiciel, sauvegarde, sauvegardes, mots de passe, pare feu, attaque, "
        "hameconnage, frauduleux"
    ),
    "formation": (
        "formation, formations, former, tutoriel, tutoriels, webinaire, webinaires, "
        "competences, sensibiliser, sensibilisation, acculturation, apprendre"
    ),
    "financement": (
        "financement, subvention, subventions, aides, detr, dsil, cofinancement, "
        "cofinanceurs, appels a projets, feder, leader"
    ),
    "budget": (
        "budget, budgetaire, comptabilite, comptable, m57, m14, tresorerie, mandats, titres "
        "de recettes, endettement, emprunt, inventaire comptable"
    ),
    "paiement": (
        "paiement, payer, payfip, carte bancaire, regie, regies, encaissement, encaisser, "
        "prelevement, cheques, especes"
    ),
    "rh": (
        "conges, absences, paie, carriere, carrieres, recrutement, entretiens professionnels, "
        "entretien annuel, ressources humaines, personnel, arret maladie, arrets maladie, "
        "planning des agents"
    ),
    "conseil": (
        "conseil municipal, conseil communautaire, seance, seances, convocation, "
        "convocations, ordre du jour, deliberation, deliberations, quorum, proces verbal, "
        "compte rendu"
    ),
    "signature": (
        "signature, signer, parapheur, certificat, certificats, controle de legalite, "
        "actes, prefecture, teletransmission"
    ),
    "document": (
        "document, documents, archives, archivage, ged, classement, dossiers, courrier, "
        "courriers, scanner, numeriser"
    ),
    "participation": (
        "participation, participatif, participative, concertation, consulter, "
        "consultation, sondage, sondages, questionnaire, idees, democratie, budget "
        "participatif, vote des habitants"
    ),
    "information": (
        "informer, information, actualites, newsletter, lettre d information, bulletin, "
        "bulletin municipal, sms, notifications, reseaux sociaux, facebook, panneau "
        "lumineux, panneau d information"
    ),
    "alerte": (
        "alerte, alerter, crise, inondation, crue, canicule, incendie, feu de foret, tele "
        "alerte, plan communal de sauvegarde, pcs, vigilance, secours"
    ),
    "etatcivil": (
        "etatcivil, naissance, naissances, mariage, mariages, deces, comedec, electoral, "
        "electorale, electorales, elections, scrutin, bureau de vote, assesseurs, "
        "genealogistes"
    ),
    "rendezvous": (
        "rendez vous, rdv, creneau, creneaux, permanence, permanences, prise de rendez "
        "vous, agenda en ligne"
    ),
    "identite": "passeport, passeports, carte d identite, cni, titres d identite",
    "commerce": (
        "commerce, commerces, commercant, commercants, boutique, boutiques, artisan, "
        "artisans, producteurs, click and collect, vitrine, locaux vacants, cellules "
        "commerciales, centre bourg"
    ),
    "marche": (
        "marche hebdomadaire, droits de place, forains, non sedentaires, emplacements, "
        "terrasse, terrasses, etalages, domaine public, occupation du domaine public"
    ),
    "commande": (
        "marches publics, marche public, commande publique, appel d offres, offres, "
        "consultation des entreprises, profil acheteur, contrats, achats, achat, "
        "fournisseurs"
    ),
    "mobilite": (
        "covoiturage, transport, transports, trajets, trajet, voiture, voitures, vehicule, "
        "vehicules, mobilite, chauffeur, chauffeurs, navette, bus"
    ),
    "reseau": (
        "connexion, fibre, debit, 4g, 5g, antenne, antennes, zones blanches, operateurs, "
        "couverture mobile, reseau mobile, telephonie mobile"
    ),
    "site": "site, refonte, rgaa, hebergement du site, page web, pages web",
    "donnee": "donnee, open data, jeux de donnees, donnees ouvertes, reutilisables, socle commun",
    "pilotage": (
        "tableau de bord, tableaux de bord, indicateurs, indicateur, pilotage, piloter, "
        "aide a la decision, statistiques, graphiques"
    ),
    "collaboration": (
        "collaboratif, collaborative, partage de documents, visio, agenda partage, "
        "messagerie instantanee, teletravail, travail a distance, espace de travail"
    ),
    "intervention": (
        "intervention, interventions, services techniques, bons de travail, bons de "
        "travaux, agents techniques, agents de terrain, travaux en regie"
    ),
    "relation": (
        "relation citoyen, relation usagers, grc, demandes des habitants, accueil, "
        "guichet, standard, historique des echanges"
    ),
    "signalement": (
        "signaler, signalement, panne, pannes, depot sauvage, depots sauvages, "
        "dysfonctionnement, dysfonctionnements, incident, incidents"
    ),
    "mutualisation": (
        "mutualiser, mutualisation, mutualise, mutualises, groupement, communes "
        "voisines, syndicat, en commun"
    ),
    "pret": (
        "pret, preter, emprunter, materiel, barnum, barnums, tables, chaises, sono, barrieres, "
        "podium"
    ),
    "diagnostic": (
        "diagnostic, audit, autodiagnostic, etat des lieux, maturite, feuille de route, "
        "schema directeur, inventaire du parc"
    ),
    "association": "association, associatif, benevoles, club, clubs",
}


def phrases() -> list[tuple[str, str]]:
    """(phrase, topic) pairs, longest phrase first."""
    pairs = [(word, topic) for topic, words in TOPICS.items() for word in words.split(", ")]
    pairs.sort(key=lambda pair: (-len(pair[0]), pair[0]))
    return pairs
