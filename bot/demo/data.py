"""What the demo consultation is made of: real proposal titles and real communes.

The titles are those of the 17 proposals the steering committee selected on
3 May 2021, then two the press named that were not selected in May (source:
the Incubateur des Territoires' news item "Consultation FranceRelance : liste
des propositions sélectionnées", as recorded in ``shared/data/consultation-
2021.json``). They are embedded because that data sits outside the package.
The summaries and the theme of each are written for the demo; they are not
the 2021 texts. Communes and EPCI are real (INSEE codes and SIREN of the
shipped reference data), the persons speaking for them are not.
"""

from __future__ import annotations

from storage.memberships import MemberRole

# (title, theme, summary)
PROPOSALS: tuple[tuple[str, str, str], ...] = (
    (
        "Améliorer la gestion de la relation usagers",
        "citizen_services",
        "Suivre les demandes des habitants (courriers, appels, formulaires en ligne) de leur "
        "arrivée jusqu'à la réponse, dans un outil partagé entre les services.",
    ),
    (
        "Collaborer en transversalité et à distance",
        "administration",
        "Des outils de travail partagé (agenda, documents, visioconférence) pour les agents et "
        "les élus, y compris entre les communes d'une même intercommunalité.",
    ),
    (
        "Gérer électroniquement les documents",
        "administration",
        "Numériser, classer et archiver les actes et les dossiers de la collectivité, avec une "
        "gestion électronique des documents à la mesure des petites équipes.",
    ),
    (
        "Visualiser et piloter par la donnée",
        "data",
        "Des tableaux de bord lisibles pour suivre budgets, équipements et services, à partir "
        "des données que la collectivité possède déjà.",
    ),
    (
        "Organiser des instances délibératives",
        "administration",
        "Préparer, convoquer et tenir les conseils municipaux et communautaires, y compris à "
        "distance : ordres du jour, votes, procès-verbaux.",
    ),
    (
        "Faciliter l'intervention des agents",
        "administration",
        "Des outils mobiles pour les agents de terrain : signalements reçus, interventions "
        "planifiées, comptes rendus saisis sur place.",
    ),
    (
        "Faciliter la participation citoyenne",
        "citizen_services",
        "Consulter les habitants, recueillir leurs idées et leur rendre compte, avec des outils "
        "simples à mettre en place dans une petite commune.",
    ),
    (
        "Ouvrir et mettre à jour des données",
        "data",
        "Publier les données publiques de la collectivité en open data et les tenir à jour sans "
        "effort, en s'appuyant sur des schémas communs.",
    ),
    (
        "Mutualiser, recycler et réserver des ressources",
        "sharing",
        "Prêter, partager et réserver salles, matériel et véhicules entre services, communes "
        "voisines et associations.",
    ),
    (
        "Structurer et exploiter les informations géographiques",
        "data",
        "Un système d'information géographique partagé pour les réseaux, l'adressage, le "
        "cadastre et l'urbanisme.",
    ),
    (
        "Faciliter la transition écologique de sa collectivité",
        "environment",
        "Mesurer les consommations d'énergie et d'eau du patrimoine public et suivre les "
        "actions de transition écologique.",
    ),
    (
        "Structurer, mutualiser et exploiter les données relatives aux commerces",
        "data",
        "Recenser les commerces et services de proximité, leurs horaires et leurs offres, pour "
        "soutenir la vie des centres-bourgs.",
    ),
    (
        "Bénéficier de diagnostic numérique",
        "administration",
        "Un autodiagnostic de la maturité numérique de la collectivité, avec des pistes "
        "concrètes et des ressources pour progresser.",
    ),
    (
        "Communiquer avec les usagers",
        "citizen_services",
        "Informer les habitants par les canaux qu'ils utilisent (site, SMS, application, "
        "panneau lumineux) à partir d'une seule saisie.",
    ),
    (
        "Faciliter l'accompagnement social",
        "citizen_services",
        "Suivre l'accompagnement des personnes par le CCAS et ses partenaires, dans le respect "
        "de la confidentialité.",
    ),
    (
        "Faciliter le signalement d'incidents par les usagers",
        "citizen_services",
        "Permettre aux habitants de signaler un problème sur l'espace public (voirie, "
        "éclairage, déchets) et de suivre sa résolution.",
    ),
    (
        "Rechercher et gérer des financements pour ma collectivité",
        "administration",
        "Repérer les aides et appels à projets adaptés à la collectivité et suivre les dossiers "
        "de financement jusqu'au versement.",
    ),
    (
        "Partager des véhicules entre habitants",
        "mobility",
        "Organiser le covoiturage et le partage de véhicules entre habitants des territoires "
        "peu desservis.",
    ),
    (
        "Faciliter l'accès à la culture",
        "culture",
        "Faire connaître l'offre culturelle locale (bibliothèques, spectacles, patrimoine) et "
        "en faciliter la réservation.",
    ),
)

# (identity, collectivité code, role, display name): communes from 660 to 520,000
# inhabitants, two EPCI, and agents who may vote but not commit a support.
PERSONS: tuple[tuple[str, str, MemberRole, str], ...] = (
    ("console:maire-24432", "24432", "elu", "Maire de Saint-Julien-de-Lampon"),
    ("console:maire-24520", "24520", "elu", "Maire de Sarlat-la-Canéda"),
    ("console:maire-24152", "24152", "elu", "Maire de Domme"),
    ("console:maire-24355", "24355", "elu", "Maire de La Roque-Gageac"),
    ("console:maire-24082", "24082", "elu", "Maire de Carsac-Aillac"),
    ("console:maire-46309", "46309", "elu", "Maire de Souillac"),
    ("console:maire-46102", "46102", "elu", "Maire de Figeac"),
    ("console:maire-48146", "48146", "elu", "Maire de Gorges du Tarn Causses"),
    ("console:maire-23096", "23096", "elu", "Maire de Guéret"),
    ("console:maire-33063", "33063", "elu", "Maire de Bordeaux"),
    ("console:maire-35238", "35238", "elu", "Maire de Rennes"),
    ("console:maire-69123", "69123", "elu", "Maire de Lyon"),
    ("console:president-200040830", "200040830", "elu", "Président CC du Pays de Fénelon"),
    ("console:president-243300316", "243300316", "elu", "Président Bordeaux Métropole"),
    ("console:agent-33063", "33063", "agent", "Agent de Bordeaux"),
    ("console:agent-35238", "35238", "agent", "Agent de Rennes"),
    ("console:agent-24520", "24520", "agent", "Agent de Sarlat-la-Canéda"),
)
