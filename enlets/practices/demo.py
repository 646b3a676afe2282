"""Demo practices of the exchange: about 150 practices over the EDBP topics, written by the people
of the demo network (enlets/network/demo.py), at every marking and in every state, with reviews,
revisions, adoptions and comment threads. `seed_practices()` runs at the end of `manage.py
seed_demo`.

Every write goes through enlets.practices.actions, so the audit trail, labels, notifications and
search updates are the real ones; only the timestamps are spread over the past three years
afterwards (as the document demo does), since the actions stamp "now". Deterministic: a fixed random
seed and fixed uids. Idempotent: nothing happens when the demo practices are already there.
Texts are invented from building blocks; laws are cited as plausible national bases, not advice.
"""

from __future__ import annotations

import datetime as dt
import random
import time
import uuid
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from enlets.core import access
from enlets.core.context import bulk_load
from enlets.core.errors import ActionError
from enlets.core.models import TLP
from enlets.network.demo import CITIES
from enlets.network.models import Country, InterestGroup, Organisation, Role, User
from enlets.practices import actions
from enlets.practices.models import (
    Adoption,
    Comment,
    Practice,
    PracticeRevision,
    Review,
    ReviewCriterion,
    Topic,
)

SEED = 2016  # any integer gives another, still fixed, collection
PRACTICE_COUNT = 150
NAMESPACE = uuid.UUID("6d1f2c0e-3b1a-4f0e-9a57-2e5b0c8f4a11")

# Exactly how the collection spreads over states and markings (each sums to PRACTICE_COUNT).
STATE_COUNTS = {
    "published": 98,
    "archived": 8,
    "draft": 12,
    "submitted": 8,
    "in_review": 8,
    "changes_requested": 9,
    "rejected": 7,
}
TLP_COUNTS = {TLP.CLEAR: 40, TLP.GREEN: 52, TLP.AMBER: 32, TLP.AMBER_STRICT: 13, TLP.RED: 13}
TOPIC_WEIGHTS = {
    "anpr": 30,
    "osint": 24,
    "sigint": 14,
    "surveillance": 24,
    "front-line-policing": 26,
    "counter-drone": 16,
    "digital-forensics": 16,
}
EXTRA_TOPICS = [
    (
        "counter-drone",
        "Counter-drone (C-UAS)",
        "AT",
        "Detecting, identifying and stopping unauthorised drones at events, prisons and airports.",
    ),
    (
        "digital-forensics",
        "Digital forensics",
        "DE",
        "Extraction and analysis of data from phones, vehicles and cloud accounts, from the scene to the court.",
    ),
]
# Reviewers of each topic: (username or (country, role)). The NL lead reviews ANPR, as in EDBP.
REVIEWERS: dict[str, list[Any]] = {
    "anpr": ["ncp-nl", ("BE", Role.CORE_GROUP)],
    "osint": [("RO", Role.CORE_GROUP), "cg-member"],
    "sigint": [("RO", Role.NCP), ("IT", Role.CORE_GROUP)],
    "surveillance": ["member-nl", ("ES", Role.CORE_GROUP)],
    "front-line-policing": ["member-de", ("FI", Role.CORE_GROUP)],
    "counter-drone": [("AT", Role.CORE_GROUP), ("DE", Role.CORE_GROUP)],
    "digital-forensics": ["ncp-de", ("BE", Role.NCP)],
}
# Interest groups that make a natural AMBER audience for a topic's practices.
TOPIC_GROUPS = {
    "anpr": "anpr",
    "osint": "osint",
    "counter-drone": "counter-drone",
    "digital-forensics": "mobile-forensics",
    "front-line-policing": "digital-workplace",
    "surveillance": "public-order",
    "sigint": "cyber-security",
}
# The demo sign-ins get work of their own: (username, topic, state, marking).
FIXED = [
    ("member-nl", "anpr", "published", TLP.CLEAR),
    ("member-nl", "osint", "draft", TLP.GREEN),
    ("member-nl", "front-line-policing", "changes_requested", TLP.GREEN),
    ("member-de", "anpr", "submitted", TLP.GREEN),
    ("ncp-de", "surveillance", "in_review", TLP.AMBER),
    ("member-de", "counter-drone", "published", TLP.AMBER),
    ("ncp-nl", "digital-forensics", "published", TLP.RED),
    ("member-de", "sigint", "rejected", TLP.AMBER_STRICT),
    ("ncp-nl", "surveillance", "archived", TLP.GREEN),
]

# Practices written in a national language (the language field): search stems them in it too, so
# "Fahrzeugen" finds "Fahrzeuge". (language, owner's country, topic, fields)
NATIONAL: list[tuple[str, str, str, dict[str, str]]] = [
    (
        "de",
        "DE",
        "anpr",
        {
            "title": "Mobile Kennzeichenerkennung an der Grenze zu Tschechien",
            "summary": "Die Bundespolizei setzte mobile Kennzeichenerkennungssysteme an drei Grenzübergängen ein. "
            "Gestohlene Fahrzeuge wurden schneller erkannt; die Treffer werden nach 48 Stunden gelöscht.",
            "problem": "Gestohlene Fahrzeuge und Fahrzeuge mit gefälschten Kennzeichen passierten die Grenze, "
            "bevor eine Streife reagieren konnte. Die Fahndungsliste wurde nur stichprobenartig abgeglichen.",
            "solution": "Zwei Fahrzeuge mit mobilen Kameras wechseln täglich den Standort. Jedes erfasste "
            "Kennzeichen wird sofort mit der Fahndungsliste abgeglichen; nur Treffer werden gespeichert "
            "und an die Leitstelle gemeldet.",
            "technology": "Mobile Kennzeichenerkennung, Abgleich mit der Fahndungsliste",
            "results": "In zwölf Monaten 214 Treffer, davon 61 gestohlene Fahrzeuge sichergestellt "
            "(Vorjahr ohne System: 19). Die Fehlerquote der Erkennung lag bei 1,8 %.",
            "lessons": "- Die Standorte täglich wechseln, sonst weichen Täter aus.\n"
            "- Den Datenschutzbeauftragten von Anfang an beteiligen.",
            "legal_basis": "- § 27b Bundespolizeigesetz\n- Richtlinie (EU) 2016/680",
            "transferability": "Übertragbar, wo eine Rechtsgrundlage für den automatischen Abgleich besteht "
            "und die Fahndungsliste zentral abrufbar ist.",
        },
    ),
    (
        "fr",
        "FR",
        "surveillance",
        {
            "title": "Vidéoprotection et patrouilles coordonnées dans les gares de Lyon",
            "summary": "Les images des caméras des gares sont partagées en temps réel avec le centre de "
            "commandement. Les patrouilles arrivent plus vite sur les incidents signalés.",
            "problem": "Les incidents dans les gares étaient signalés tard, et les patrouilles ne savaient "
            "pas où se rendre. Les enregistrements étaient consultés seulement après les faits.",
            "solution": "Un opérateur du centre de commandement surveille les flux des caméras aux heures "
            "de pointe et guide les patrouilles par radio. Les enquêteurs obtiennent les images sur "
            "réquisition.",
            "technology": "Vidéoprotection, centre de commandement, radio numérique",
            "results": "Le délai moyen d'intervention est passé de 11 à 6 minutes sur un an; 38 interpellations "
            "en flagrant délit grâce aux images.",
            "lessons": "- Former les opérateurs aux signes de pickpockets.\n"
            "- Définir avec la SNCF qui accède aux images.",
            "legal_basis": "- Code de la sécurité intérieure, articles L251-1 et suivants\n- Directive (UE) 2016/680",
            "transferability": "Transposable dans toute grande gare équipée de caméras, avec une convention "
            "entre l'exploitant et la police.",
        },
    ),
    (
        "nl",
        "NL",
        "osint",
        {
            "title": "Open bronnen onderzoek bij vermissingen",
            "summary": "Een klein team doorzoekt openbare sociale media bij vermissingen van jongeren. "
            "Vermiste personen worden sneller gevonden.",
            "problem": "Bij vermissingen van jongeren gingen de eerste uren verloren, omdat rechercheurs "
            "niet wisten hoe ze openbare berichten snel konden doorzoeken.",
            "solution": "Een team van drie analisten werkt met vaste zoekprocedures en een beveiligde "
            "werkomgeving. Alleen openbare berichten worden bekeken en elke zoekactie wordt vastgelegd.",
            "technology": "Open bronnen onderzoek, beveiligde onderzoeksomgeving",
            "results": "In 2024 werden 42 van de 57 vermiste jongeren binnen 24 uur gevonden, tegenover 27 "
            "van de 55 een jaar eerder.",
            "lessons": "- Vastleggen wat je zoekt en waarom.\n- Analisten niet langer dan vier uur achter "
            "elkaar laten werken.",
            "legal_basis": "- Politiewet 2012, artikel 3\n- Wet politiegegevens",
            "transferability": "Over te nemen met een kleine investering in opleiding en een afgeschermde "
            "werkomgeving.",
        },
    ),
]

NEIGHBOURS = {
    "AT": ["DE", "CZ", "SK", "HU", "SI", "IT"],
    "BE": ["NL", "FR", "DE", "LU"],
    "BG": ["RO", "EL"],
    "HR": ["SI", "HU"],
    "CY": ["EL"],
    "CZ": ["DE", "AT", "SK", "PL"],
    "DK": ["DE", "SE"],
    "EE": ["LV", "FI"],
    "FI": ["SE", "EE"],
    "FR": ["BE", "DE", "ES", "IT", "LU"],
    "DE": ["NL", "BE", "FR", "AT", "PL", "CZ", "DK"],
    "EL": ["BG", "CY"],
    "HU": ["AT", "SK", "RO", "HR"],
    "IE": ["FR", "NL"],
    "IT": ["FR", "AT", "SI", "MT"],
    "LV": ["EE", "LT"],
    "LT": ["LV", "PL"],
    "LU": ["BE", "FR", "DE"],
    "MT": ["IT"],
    "NL": ["BE", "DE"],
    "PL": ["DE", "CZ", "SK", "LT"],
    "PT": ["ES"],
    "RO": ["BG", "HU"],
    "SK": ["CZ", "AT", "HU", "PL"],
    "SI": ["AT", "IT", "HR"],
    "ES": ["PT", "FR"],
    "SE": ["FI", "DK"],
}
COUNTRY_WEIGHTS = {
    "DE": 9,
    "FR": 8,
    "NL": 9,
    "ES": 7,
    "IT": 7,
    "PL": 5,
    "BE": 6,
    "RO": 6,
    "AT": 4,
    "SE": 4,
    "FI": 4,
    "PT": 3,
    "CZ": 3,
    "DK": 3,
    "IE": 3,
    "EL": 3,
    "HU": 2,
    "SK": 2,
    "SI": 2,
    "HR": 2,
    "BG": 2,
    "EE": 2,
    "LV": 2,
    "LT": 2,
    "LU": 1,
    "MT": 1,
    "CY": 1,
}

# Plausible national legal bases: (police law, data-protection law for police data).
LAWS: dict[str, tuple[str, str]] = {
    "NL": ("Police Act 2012 (Politiewet 2012), article 3", "Police Data Act (Wet politiegegevens)"),
    "DE": (
        "Federal Criminal Police Office Act (BKAG) and the police laws of the Länder",
        "Federal Data Protection Act (BDSG), Part 3",
    ),
    "FR": (
        "Internal Security Code (Code de la sécurité intérieure)",
        "Law 78-17 (Informatique et Libertés), Title III",
    ),
    "BE": ("Police Function Act of 5 August 1992", "Data Protection Act of 30 July 2018, Title 2"),
    "ES": (
        "Organic Law 4/2015 on the protection of citizen security",
        "Organic Law 7/2021 on personal data in criminal matters",
    ),
    "IT": ("Law 121/1981 on the organisation of the State Police", "Legislative Decree 51/2018"),
    "AT": ("Security Police Act (Sicherheitspolizeigesetz)", "Data Protection Act (DSG), Part 3"),
    "PL": ("Police Act of 6 April 1990", "Act of 14 December 2018 on personal data processed to combat crime"),
    "RO": ("Law 218/2002 on the organisation of the Romanian Police", "Law 363/2018"),
    "PT": ("Internal Security Act (Law 53/2008)", "Law 59/2019"),
    "SE": ("Police Act (1984:387)", "Criminal Data Act (Brottsdatalagen, 2018:1177)"),
    "FI": ("Police Act (872/2011)", "Act on the Processing of Personal Data in Criminal Matters (1054/2018)"),
    "DK": ("Police Act (Politiloven)", "Law Enforcement Data Protection Act (Act no. 410 of 2017)"),
    "IE": ("Garda Síochána Act 2005", "Data Protection Act 2018, Part 5"),
    "CZ": ("Act No. 273/2008 on the Police of the Czech Republic", "Act No. 110/2019, Part 3"),
}

TOPIC_LAW = {
    "anpr": "The specific provision on automatic number plate recognition sets a retention of {days} days for "
    "non-hits; hits are kept under the general rules.",
    "osint": "Collection of publicly available information rests on the general task provision; any interaction "
    "with a person online needs the authorisation for covert operations.",
    "sigint": "Interception only under a judicial warrant (code of criminal procedure); operators deliver under the "
    "national lawful-interception regulation (ETSI handover interfaces).",
    "surveillance": "Camera surveillance in public space needs a decision of the mayor or police chief, published "
    "signs and a review every {months} months.",
    "front-line-policing": "The traffic code allows officers to stop vehicles; remote stopping is covered by an "
    "amendment adopted in {year}.",
    "counter-drone": "Jamming and take-over are authorised for the police by the aviation act and the "
    "telecommunications act (frequency use exemption), for a defined event and area.",
    "digital-forensics": "Seizure and search of devices under the code of criminal procedure; cloud data through "
    "a production order or, abroad, the e-Evidence rules and MLA.",
}


@dataclass(frozen=True)
class Scenario:
    title: str
    technology: str
    problem: str
    solution: str
    result: str  # {a} -> {b} percentages, {n} a count, {m} months
    staffing: str


SCENARIOS: dict[str, list[Scenario]] = {
    "anpr": [
        Scenario(
            "Fixed ANPR on the motorways around {city}",
            "Fixed ANPR cameras on gantries, national hit list",
            "Stolen vehicles and vehicles of wanted persons left the {city} region on the motorway before a patrol "
            "could be dispatched; alerts reached officers by radio, often too late.",
            "**{n} fixed ANPR cameras** on motorway gantries, matched in real time against the national hit list. "
            "Hits go to the regional control room and straight to the nearest patrol car's tablet.",
            "Recovery of stolen vehicles within 24 hours rose from **{a}% to {b}%** over {m} months; average time from "
            "hit to interception fell to 11 minutes.",
            "{s} people: 2 control-room operators per shift, an ANPR coordinator and 2 technicians",
        ),
        Scenario(
            "Mobile ANPR in patrol cars in {country}",
            "Vehicle-mounted ANPR (two cameras per car), in-car hit display",
            "Fixed cameras covered the main roads only; rural roads and car parks were blind spots for vehicle crime.",
            "{n} patrol cars fitted with front and side ANPR cameras; hits show on the in-car screen with the reason "
            "for the alert and the action to take.",
            "Hits per shift rose from {a} to {b} on average; {n} stolen vehicles recovered in the first {m} months.",
            "{s} patrol crews trained, 1 project lead, supplier support",
        ),
        Scenario(
            "Sharing ANPR hits across the border with {neighbour}",
            "ANPR hit exchange over the police cooperation centre, common alert format",
            "Vehicles of interest crossed into {neighbour} within minutes; the hit in one country was unknown to the "
            "other until a formal request was answered days later.",
            "A common alert format and an automated hand-over of hits through the joint police cooperation centre, "
            "limited to alert categories both states allow.",
            "Cross-border hits answered within 15 minutes rose from **{a}% to {b}%**; {n} joint interceptions in "
            "{m} months.",
            "{s} officers at the police cooperation centre, legal advisers of both states",
        ),
        Scenario(
            "Optimising ANPR read rates at night and in bad weather",
            "Infrared illumination, camera angle optimisation, read-rate dashboard",
            "Read rates dropped sharply at night and in rain; nobody measured them per camera, so bad sites went "
            "unnoticed for months.",
            "A read-rate dashboard per camera, a site survey checklist and infrared illumination at the {n} "
            "worst sites.",
            "Average read rate rose from **{a}% to {b}%**; night-time misreads fell by half over {m} months.",
            "{s} technicians and 1 analyst",
        ),
        Scenario(
            "Choosing an ANPR information disseminator: the {country} market consultation",
            "ANPR back office and hit disseminator, open interfaces",
            "Each region ran its own ANPR back office with its own supplier; hits could not be shared and costs "
            "multiplied.",
            "A market consultation with {n} suppliers, a common requirements set and a framework contract for one "
            "national back office with open interfaces.",
            "Operating costs fell by **{a}%**; all regions connected within {m} months; hit sharing between regions "
            "went from {b}% to 100%.",
            "{s} people in the procurement team, end users of every region",
        ),
        Scenario(
            "Make-and-model recognition against cloned plates in {city}",
            "ANPR with vehicle make, model and colour recognition",
            "Criminals used cloned plates copied from vehicles of the same colour; plain ANPR could not tell the "
            "clone from the original.",
            "ANPR extended with make, model and colour recognition; a mismatch between the plate's registration and "
            "the recognised vehicle raises an alert.",
            "{n} cloned plates detected in {m} months (against {a} in the year before); false alerts stayed below 3%.",
            "{s} analysts and the ANPR team",
        ),
    ],
    "osint": [
        Scenario(
            "An OSINT cell for serious-crime investigations in {country}",
            "OSINT workstations on a separate network, attribution management",
            "Investigators searched social media from their office computers, leaving traces and missing what "
            "specialists would find.",
            "A central OSINT cell of {n} analysts on a separate network with managed attribution, answering requests "
            "from investigation teams.",
            "Requests answered within 48 hours rose from **{a}% to {b}%**; the cell supported {n} investigations in "
            "{m} months.",
            "{s} OSINT analysts, 1 legal adviser",
        ),
        Scenario(
            "Monitoring open sources during large events in {city}",
            "Social-media monitoring dashboard with geofenced keyword alerts",
            "During large events, the command learned of incidents from open sources later than the public did.",
            "A monitoring dashboard with geofenced keyword alerts for public posts, staffed during events and linked "
            "to the command room.",
            "Incidents first seen in open sources: {n} during the season; average warning time gained {a} minutes.",
            "{s} analysts per event, 1 liaison in the command room",
        ),
        Scenario(
            "OSINT tool evaluation: a common test set",
            "Test set and scoring method for OSINT tools",
            "Suppliers' demonstrations could not be compared; tools were bought on promises.",
            "A common test set of {n} realistic tasks and a scoring method, run on each candidate tool by the end "
            "users themselves.",
            "{n} tools evaluated in {m} months; the chosen tool solved **{b}%** of the tasks against {a}% for the "
            "runner-up.",
            "{s} analysts from three services",
        ),
        Scenario(
            "Training investigators in OSINT tradecraft",
            "Blended training: e-learning and a hands-on lab",
            "Only specialists knew the basics of safe open-source research; investigators took risks without knowing.",
            "A two-level curriculum (basic for every investigator, advanced for specialists) with a hands-on lab.",
            "{n} investigators trained in {m} months; the share of OSINT requests the teams handle themselves rose "
            "from {a}% to {b}%.",
            "{s} trainers, the police academy",
        ),
        Scenario(
            "Dark-web market monitoring for drug trafficking",
            "Crawler for hidden-service markets, vendor profile matching",
            "Vendors moved between dark-web markets; each take-down restarted the investigation from zero.",
            "A crawler archiving hidden-service market listings and matching vendor profiles across markets.",
            "{n} vendor profiles linked across markets; {a} vendors identified and referred in {m} months.",
            "{s} analysts, 1 developer",
        ),
    ],
    "sigint": [
        Scenario(
            "Lawful-interception platform renewal in {country}",
            "Lawful-interception management system, ETSI handover interfaces",
            "The old interception platform could not handle encrypted and IP-based traffic volumes; operators "
            "delivered in formats it did not read.",
            "A new platform with standard handover interfaces, built with the operators and tested on {n} live "
            "warrants before switching over.",
            "Failed deliveries fell from **{b}% to {a}%**; time from warrant to first delivery below 2 hours in "
            "{m} months of operation.",
            "{s} engineers, operators' liaison officers",
        ),
        Scenario(
            "Analysing intercepted audio with speech-to-text",
            "Speech-to-text and language identification for intercepted calls",
            "Analysts listened to hours of calls in languages the team did not speak; urgent leads were found "
            "days late.",
            "Speech-to-text and language identification run on intercepted calls, with human review before any use.",
            "Listening time per relevant call fell by **{a}%**; {n} urgent leads found within the day in {m} months.",
            "{s} analysts, 2 interpreters",
        ),
        Scenario(
            "IMSI-catcher detection and use under judicial control",
            "IMSI catcher with an audited operating log",
            "Suspects changed SIM cards often; investigators could not tie new numbers to them in time.",
            "An IMSI catcher used only under a judicial warrant, with an operating log reviewed by the prosecutor.",
            "{n} new numbers identified in {m} months; collateral data deleted within {a} hours in every case.",
            "{s} technical officers",
        ),
        Scenario(
            "Radio-frequency monitoring of criminal communication networks",
            "Software-defined radio monitoring, direction finding",
            "Organised groups used unlicensed radio for look-outs around drug markets.",
            "Software-defined radio monitoring with direction finding, deployed for {m} months around known markets.",
            "{n} transmitters located; {a} arrests linked to the look-out networks.",
            "{s} radio specialists",
        ),
    ],
    "surveillance": [
        Scenario(
            "Camera surveillance in {city}'s city centre: a common test method",
            "Fixed CCTV with video management system",
            "Cameras were bought on data sheets; in practice half could not identify a person at night.",
            "A common test method in realistic conditions (night, rain, crowd) applied before purchase, with the "
            "end users scoring identification.",
            "Identification rate at night rose from **{a}% to {b}%** with the cameras chosen by the test; {n} cameras "
            "replaced in {m} months.",
            "{s} operators and 2 engineers",
        ),
        Scenario(
            "Video analytics to search recorded footage after incidents",
            "Forensic video search (object and attribute search), no live facial recognition",
            "After serious incidents, teams watched days of footage by hand.",
            "Forensic video search on recorded footage by object and attribute (vehicle type, clothing colour), used "
            "only in investigations and logged.",
            "Review time per case fell from {b} to {a} hours on average; {n} cases supported in {m} months.",
            "{s} video analysts",
        ),
        Scenario(
            "Body-worn cameras for public-order units in {country}",
            "Body-worn cameras with pre-recording and secure upload",
            "Complaints about police conduct at demonstrations could rarely be settled; evidence of assaults on "
            "officers was missing.",
            "{n} body-worn cameras for public-order units, switched on at the officer's decision and when force is "
            "used; footage uploaded at the end of the shift.",
            "Assaults on officers fell by **{a}%**; complaints settled with footage rose from {a}% to {b}% in {m} "
            "months.",
            "{s} officers trained, 1 evidence manager",
        ),
        Scenario(
            "Covert observation with long-range optics",
            "Long-range thermal and daylight optics, observation vehicle",
            "Observation teams lost targets at night and at distance.",
            "Long-range thermal and daylight optics in an unmarked vehicle, tested against a common protocol.",
            "Observation losses fell by **{a}%** over {m} months; {n} operations supported.",
            "{s} observation officers",
        ),
        Scenario(
            "Temporary camera masts for hotspots",
            "Mobile camera masts with 4G uplink and solar power",
            "Crime moved to places without cameras once fixed cameras were installed.",
            "{n} mobile camera masts moved every few weeks to current hotspots, decided in the weekly crime meeting.",
            "Reported incidents at the covered hotspots fell by **{a}%** during deployment; {b}% of footage requests "
            "answered the same day.",
            "{s} people: operators and a site team",
        ),
    ],
    "front-line-policing": [
        Scenario(
            "Remote stopping of vehicles: a field trial in {country}",
            "Remote vehicle stopping via the vehicle's electronic systems (trial)",
            "High-speed pursuits endangered the public and officers; {n} pursuits ended in crashes in one year.",
            "A field trial of remote stopping on cooperative test vehicles, with the car industry and the vehicle "
            "approval authority.",
            "Test vehicles stopped safely in **{b}%** of {n} runs; the trial fed the common requirements of the "
            "network.",
            "{s} officers, engineers of two manufacturers",
        ),
        Scenario(
            "Smartphones for every patrol officer in {country}",
            "Police smartphones with mobile apps for database checks and reporting",
            "Officers called the control room for every identity or vehicle check; reports were typed again at the "
            "station.",
            "{n} smartphones with apps for database checks, fines and reports; rolled out region by region.",
            "Checks handled without the control room rose from {a}% to {b}%; officers gained about 40 minutes per "
            "shift over {m} months.",
            "{s} people in the roll-out team",
        ),
        Scenario(
            "Mobile fingerprint identification at the roadside",
            "Handheld fingerprint scanners linked to the national AFIS",
            "People without documents were taken to the station only to be identified; many turned out not to be "
            "wanted.",
            "Handheld scanners checking two fingerprints against the national AFIS in under a minute.",
            "Unnecessary transports to the station fell by **{a}%**; {n} wanted persons identified in {m} months.",
            "{s} officers trained",
        ),
        Scenario(
            "Less-lethal options for first responders",
            "Conducted energy devices with recording, de-escalation training",
            "Officers facing violent persons had only the baton or the firearm.",
            "Conducted energy devices for trained first responders, every use recorded and reviewed.",
            "Use of firearms fell by **{a}%**; injuries to subjects in use-of-force incidents down {b}% over {m} "
            "months.",
            "{s} officers trained, use-of-force review board",
        ),
        Scenario(
            "Digital witness statements on tablets",
            "Tablets with signature capture and case-system integration",
            "Statements taken on paper at the scene were typed again; errors and delays followed.",
            "Tablets with a statement app and signature capture, feeding the case system directly.",
            "Time to a registered statement fell from {a} hours to {b} minutes; {n} statements in {m} months.",
            "{s} officers in the pilot districts",
        ),
    ],
    "counter-drone": [
        Scenario(
            "Counter-drone protection of the {city} summit",
            "RF detection, radar and jamming, mobile command post",
            "Drones were expected over the summit venue; no single sensor covered the urban area.",
            "A layered system: RF detection, radar and a jammer under police command, with a no-fly zone and a "
            "public information campaign.",
            "{n} drone flights detected, {a} pilots located and stopped, no disruption of the summit.",
            "{s} operators over {m} days",
        ),
        Scenario(
            "Drone detection around prisons in {country}",
            "Fixed RF sensors and cameras at prison perimeters",
            "Drones dropped drugs and phones into prison yards at night.",
            "Fixed RF sensors and cameras at {n} prisons, alerts to the prison guard and to police patrols.",
            "Drops detected rose from {a}% to {b}%; {n} pilots identified in {m} months.",
            "{s} people: prison staff and police",
        ),
        Scenario(
            "Recovering flight logs from seized drones",
            "Drone forensics toolkit",
            "Seized drones were sent to a lab abroad; the flight data came back months later.",
            "A forensic toolkit and procedure to extract flight logs and media in-house.",
            "Turnaround fell from {a} weeks to {s} days; {n} drones examined in {m} months.",
            "{s} forensic examiners",
        ),
    ],
    "digital-forensics": [
        Scenario(
            "Phone triage at the scene in {country}",
            "Mobile triage kiosks, selective extraction",
            "Every seized phone went to the lab; backlogs grew to months and most phones held nothing relevant.",
            "Triage kiosks in {n} stations let trained investigators run a selective, logged extraction, sending "
            "only relevant phones to the lab.",
            "Lab backlog fell from {b} to {a} weeks; {n} phones triaged in {m} months.",
            "{s} investigators trained, lab support",
        ),
        Scenario(
            "Vehicle forensics: data from infotainment systems",
            "Vehicle infotainment extraction tools",
            "Cars hold location and phone data that investigators did not know how to get.",
            "Tools and a procedure for extracting infotainment data, with a reference set of {n} vehicle models.",
            "Useful location data obtained in **{b}%** of examined vehicles over {m} months.",
            "{s} examiners",
        ),
        Scenario(
            "A shared decryption capability for seized devices",
            "Central password-recovery cluster",
            "Each service bought its own hardware for password recovery; most was idle.",
            "A central password-recovery cluster shared by {n} services, with a request procedure.",
            "Devices opened rose from {a}% to {b}%; hardware costs shared over {m} months.",
            "{s} engineers",
        ),
    ],
}

LESSONS = [
    "Involve the officers who will use it from the first day, not at acceptance testing.",
    "Budget for training and for the people who run the system, not only for the equipment.",
    "Agree the data-protection impact assessment with the data-protection officer before the pilot starts.",
    "Test where the tool will be used; laboratory figures flattered every system we tried.",
    "Measure a baseline before you start, or you cannot show what changed.",
    "Plan the step from pilot to operations early; funding for the pilot ended before the roll-out was ready.",
    "Write open interfaces into the contract; the supplier's own format locked us in for years.",
    "Share the evaluation within ENLETS: two other states were about to repeat our mistakes.",
    "Keep the legal adviser in the project team; the legal questions changed the design twice.",
    "Tell the public what you do and why; openness reduced complaints.",
]
FUNDAMENTAL_RIGHTS = [
    "Only data needed for the purpose is processed; non-hits are deleted automatically and access is logged.",
    "An independent review board checks a sample of uses every quarter; the results are reported to parliament.",
    "The impact on privacy was assessed with the data-protection officer; signs and a public web page inform citizens.",
    "Human review before any action: the system supports, never decides. Bias was tested on the evaluation set.",
    "Access is limited to trained officers; every query is logged and audited by the internal oversight unit.",
]
TRANSFER = [
    "Another state needs a comparable legal basis, a national database to check against and about {months} months "
    "for procurement. The specification and test protocol are available on request.",
    "Transferable where the same equipment is on a framework contract; we share our requirements and the lessons "
    "of the pilot. Budget: comparable to ours.",
    "Works in any state with a central control room; the interfaces are standard. Expect {months} months from "
    "decision to operations.",
    "The method transfers directly; the tools are interchangeable. We offer a study visit and our training material.",
]
REQUEST_CHANGES = {
    ReviewCriterion.EVIDENCE: "The results give percentages without a baseline: please add the measurement period "
    "and how the figures were collected.",
    ReviewCriterion.LEGAL_BASIS: "Please name the legal provision, not only the law, and say whether a court "
    "authorisation is needed.",
    ReviewCriterion.TRANSFERABILITY: "Say what another state needs to adopt this: legal basis, budget, people.",
    ReviewCriterion.CONTACT: "The contact person has left the service; please name a reachable contact.",
    ReviewCriterion.MARKING: "The audience is too wide for the operational details in the implementation section; "
    "consider TLP:AMBER for the specifics and a public teaser.",
}
PUBLISH_COMMENTS = [
    "All criteria met. Clear evidence and a well-described legal basis.",
    "Good practice with measured results; the transferability section will help other states.",
    "Published. The lessons learned are especially valuable.",
    "Thank you for the revision: the baseline makes the results convincing.",
]
REJECT_COMMENTS = [
    "This describes a product, not a practice: there is no operational use or measured result yet. Please submit "
    "again after the pilot.",
    "The practice duplicates an existing one from the same service; please add your results to that one instead.",
    "The legal basis is unclear for the use described; we cannot publish it in this form.",
]
INTERIM_COMMENTS = [
    "Started the review. The evidence looks solid; checking the legal basis with a colleague.",
    "First read done: please expect a question on the marking.",
    "Looks complete; I will finish the checklist this week.",
]
ADOPTION_NOTES = {
    Adoption.Status.INTERESTED: [
        "We are preparing a similar project and would like a study visit.",
        "Interested: our ministry is reviewing the legal basis for this.",
        "Following this for our next budget round.",
    ],
    Adoption.Status.PILOTING: [
        "Pilot running in two regions since spring, based on your specification.",
        "Piloting with the same supplier; first results expected in six months.",
        "A small pilot at one border crossing; we reused your test protocol.",
    ],
    Adoption.Status.ADOPTED: [
        "Adopted nationwide after a successful pilot; results comparable to yours.",
        "In operation since last year. Your lessons saved us months.",
        "Adopted, with an adjusted retention period to fit our law.",
    ],
}
QUESTIONS = [
    "How did you handle the retention of data that did not match?",
    "Which supplier did you work with, and was the contract a framework?",
    "Did the data-protection authority comment on the pilot?",
    "What did the training of the operators involve, and how long did it take?",
    "Could you share the test protocol? We are about to run a similar trial.",
    "How did you measure the baseline?",
    "What were the running costs per year after the pilot?",
]
ANSWERS = [
    "Non-hits are deleted after the legal retention period automatically; only hits go to the case system.",
    "A framework contract from the national police procurement office; happy to share the specification.",
    "Yes, they were consulted on the impact assessment and asked for a shorter retention, which we adopted.",
    "Two days for operators, half a day for the officers receiving alerts. Refresher once a year.",
    "Sent by e-mail; it is also attached to the practice now.",
    "Twelve months of figures before the start, from the same regions.",
    "About 15% of the investment per year, mostly maintenance and licences.",
]
FOLLOW_UPS = [
    "Thank you, very helpful.",
    "Thanks! We will contact you for a study visit.",
    "That answers it, thanks. We may record our pilot here later.",
]
REVISION_EDITS = [
    (
        "results",
        "Added the figures of the second year: the effect held, {a}% against the baseline.",
        "Second-year figures",
    ),
    (
        "lessons",
        "Since publication we also learned that maintenance contracts must include response times.",
        "Lessons updated",
    ),
    ("contact_note", "Functional mailbox: innovation@{org}.example (monitored daily).", "New contact mailbox"),
    (
        "transferability",
        "Two states have since piloted this; their experience is summarised below.",
        "Transferability after pilots",
    ),
]
COST_BANDS = ["under_50k", "50k_250k", "250k_1m", "1m_5m", "over_5m"]
ROUTES = ["open_tender", "restricted", "negotiated", "framework", "pre_commercial", "joint", "in_house", "eu_funded"]


IMPLEMENTATIONS = [
    "- **Preparation** ({prep} months): requirements with the end users, market consultation, data-protection "
    "impact assessment.\n- **Pilot** in {city} and one rural region, with a baseline measured beforehand.\n"
    "- **Roll-out** in phases, each phase evaluated before the next.\n",
    "1. Operational needs gathered in workshops with the units concerned.\n2. Tender and contract ({prep} months).\n"
    "3. Installation and acceptance tests in realistic conditions.\n4. Training of operators, then go-live in {city}.\n"
    "5. Evaluation after {m} months, reported to the steering group.\n",
    "A project team of end users, IT and legal advisers ran the work in three stages: a proof of concept on test "
    "data, a {m}-month operational pilot in {city}, and the decision on national use based on the pilot's "
    "evaluation.\n",
]
MEASURED = [
    "Measured from the case and control-room systems; the baseline is the twelve months before the start.",
    "Figures from the evaluation report of the pilot (independent analyst of the national police academy).",
    "Counted from the system's own logs and checked against the incident register each quarter.",
]


def _lower_first(text: str) -> str:
    """Lower the first letter, except in an acronym ("RF detection", "ANPR cameras")."""
    if len(text) > 1 and text[1].isupper():
        return text
    return text[:1].lower() + text[1:]


def demo_uid(n: int) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"demo-practice-{n}")


def _ascii(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())[:20] or "police"


class PracticeSeeder:
    def __init__(self, out: Any):
        self.rng = random.Random(SEED)  # noqa: S311 - demo data, deterministic on purpose
        self.out = out
        self.now = timezone.now()
        people = (
            User.objects.filter(is_active=True, vetted_at__isnull=False, organisation__isnull=False)
            .select_related("organisation__country")
            .order_by("username")
        )
        self.people = [u for u in people if u.is_community_member]
        self.by_username = {u.username: u for u in self.people}
        self.by_country: dict[str, list[User]] = {}
        for u in self.people:
            if u.organisation.kind in (Organisation.Kind.LAW_ENFORCEMENT, Organisation.Kind.MINISTRY):
                self.by_country.setdefault(u.organisation.country_id, []).append(u)
        self.secretariat = self.by_username["secretariat"]
        self.core_group = [u for u in self.people if u.is_core_group]
        self.topics: dict[str, Topic] = {}
        self.reviewers: dict[str, list[User]] = {}
        self.groups = {g.slug: g for g in InterestGroup.objects.all()}
        self.research = list(
            Organisation.objects.filter(kind__in=[Organisation.Kind.RESEARCH, Organisation.Kind.UNIVERSITY])
        )
        self.le_orgs: dict[str, list[Organisation]] = {}
        for org in Organisation.objects.filter(kind=Organisation.Kind.LAW_ENFORCEMENT).order_by("name"):
            self.le_orgs.setdefault(org.country_id, []).append(org)
        self.countries = {c.pk: c for c in Country.objects.all()}
        self.slugs: dict[int, list[str]] = {}  # practice pk -> its topics' slugs

    # --- topics and reviewers --------------------------------------------------------------------
    def person(self, spec: Any) -> User | None:
        if isinstance(spec, str):
            return self.by_username.get(spec)
        code, role = spec
        return next((u for u in self.people if u.organisation.country_id == code and u.role == role), None)

    def seed_topics(self) -> None:
        for slug, name, lead, description in EXTRA_TOPICS:
            topic = Topic.objects.filter(slug=slug).first() or Topic.objects.filter(name=name).first()
            if topic is None:
                topic = actions.do_create_topic(
                    self.secretariat, name=name, slug=slug, description=description, lead_country=self.countries[lead]
                )
            self.topics[slug] = topic
        for slug in TOPIC_WEIGHTS:
            topic = self.topics.get(slug) or Topic.objects.get(slug=slug)
            self.topics[slug] = topic
            wanted = [p for p in (self.person(s) for s in REVIEWERS[slug]) if p is not None]
            current = list(topic.reviewers.all())
            if any(p not in current for p in wanted):
                actions.do_update_topic(self.secretariat, topic, reviewers=[*current, *wanted])
            self.reviewers[slug] = wanted

    # --- texts ------------------------------------------------------------------------------------
    def fill(self, template: str, country: str, numbers: dict[str, Any]) -> str:
        return template.format(city=CITIES.get(country, "Brussels"), country=self.country_words(country), **numbers)

    def country_words(self, code: str) -> str:
        name = self.countries[code].name
        return f"the {name}" if name in ("Netherlands", "Czech Republic") else name

    def content(self, slug: str, scenario: Scenario, owner: User, tlp: str) -> dict[str, Any]:
        rng = self.rng
        code = owner.organisation.country_id
        a = rng.randint(12, 48)
        numbers = {
            "a": a,
            "b": min(a + rng.randint(12, 40), 97),
            "n": rng.choice([3, 4, 6, 8, 12, 15, 24, 40, 60, 120, 250]),
            "m": rng.choice([6, 9, 12, 18, 24]),
            "s": rng.randint(3, 25),
            "neighbour": self.countries[rng.choice(NEIGHBOURS.get(code, ["BE"]))].name,
        }
        police, data_law = LAWS.get(
            code,
            (f"the police act of {self.countries[code].name}", "the national transposition of Directive (EU) 2016/680"),
        )
        topic_law = TOPIC_LAW[slug].format(
            days=rng.choice([7, 14, 28, 90]), months=rng.choice([6, 12]), year=rng.choice([2021, 2022, 2023])
        )
        start_year = rng.randint(2018, 2024)
        start = dt.date(start_year, rng.randint(1, 12), 1)
        end = start + dt.timedelta(days=30 * rng.randint(6, 30)) if rng.random() < 0.7 else None
        if end and end > self.now.date():
            end = None
        lessons = rng.sample(LESSONS, 3)
        title = self.fill(scenario.title, code, numbers)
        if "{" not in scenario.title:
            title = f"{title} ({self.countries[code].name})"  # the same method in several states
        result = self.fill(scenario.result, code, numbers).replace("**", "")
        problem = self.fill(scenario.problem, code, numbers).split(";")[0].rstrip(".")
        summary = (
            f"{owner.organisation.short_name or owner.organisation.name} ({self.countries[code].name}) used "
            f"{_lower_first(scenario.technology)}. {problem}. Result: {_lower_first(result)}"
        )
        data = {
            "title": title[:200],
            "summary": summary[:1000],
            "problem": self.fill(scenario.problem, code, numbers),
            "solution": self.fill(scenario.solution, code, numbers),
            "technology": scenario.technology,
            "implementation_start": start,
            "implementation_end": end,
            "cost_band": rng.choice(COST_BANDS),
            "staffing": self.fill(scenario.staffing, code, numbers)[:300],
            "procurement_route": rng.choice(ROUTES),
            "implementation": rng.choice(IMPLEMENTATIONS).format(
                prep=max(numbers["m"] // 3, 1), city=CITIES.get(code, "the capital"), m=numbers["m"]
            ),
            "results": self.fill(scenario.result, code, numbers) + "\n\n" + rng.choice(MEASURED),
            "lessons": "\n".join(f"- {lesson}" for lesson in lessons),
            "legal_basis": f"- {police}\n- {data_law}\n- {topic_law}",
            "dpia": rng.choices(["done", "not_done", "not_required", ""], [70, 8, 12, 10])[0],
            "fundamental_rights": rng.choice(FUNDAMENTAL_RIGHTS),
            "transferability": rng.choice(TRANSFER).format(months=rng.choice([6, 9, 12, 18])),
        }
        if rng.random() < 0.3:
            data["contact_note"] = f"Functional mailbox: innovation@{_ascii(owner.organisation.short_name)}.example"
        if tlp in (TLP.AMBER, TLP.AMBER_STRICT) and rng.random() < 0.6:
            data["public_teaser"] = (
                f"{self.countries[code].name}: {_lower_first(scenario.technology)}. "
                f"{result.split(';')[0].rstrip('.')}. "
                "Details are shared with law-enforcement partners on request."
            )[:600]
        return data

    # --- people -----------------------------------------------------------------------------------
    def audience(self, tlp: str, owner: User, slug: str) -> dict[str, list[Any]]:
        rng = self.rng
        code = owner.organisation.country_id
        others = [u for u in self.people if u.pk != owner.pk]
        if tlp == TLP.AMBER:
            partners = [self.countries[c] for c in rng.sample(NEIGHBOURS.get(code, ["BE"]), 1)]
            audience: dict[str, list[Any]] = {"audience_countries": [self.countries[code], *partners]}
            group = self.groups.get(TOPIC_GROUPS.get(slug, ""))
            if group is not None and rng.random() < 0.5:
                audience["audience_groups"] = [group]
            if rng.random() < 0.4:
                audience["audience_organisations"] = rng.sample(self.research, 1)
            return audience
        if tlp == TLP.AMBER_STRICT:
            orgs = [owner.organisation, *rng.sample([o for v in self.le_orgs.values() for o in v], 2)]
            audience = {"audience_organisations": list(dict.fromkeys(orgs))}
            if rng.random() < 0.5:
                audience["audience_people"] = rng.sample(others, 2)
            return audience
        if tlp == TLP.RED:
            chosen = rng.sample(others, rng.randint(2, 4))
            # Some demo sign-ins are named, so that TLP:RED can be tried.
            if rng.random() < 0.5:
                chosen.append(self.by_username[rng.choice(["member-nl", "ncp-nl", "member-de", "cg-member"])])
            return {"audience_people": [p for p in dict.fromkeys(chosen) if p.pk != owner.pk]}
        return {}

    def owner_for(self, slugs: list[str]) -> User:
        rng = self.rng
        excluded = {u.pk for s in slugs for u in self.reviewers[s]}
        while True:
            code = rng.choices(list(COUNTRY_WEIGHTS), list(COUNTRY_WEIGHTS.values()))[0]
            pool = [u for u in self.by_country.get(code, []) if u.pk not in excluded]
            if pool:
                return rng.choice(pool)

    def reviewer_for(self, practice: Practice) -> User:
        authors = {practice.owner_id, *practice.co_authors.values_list("pk", flat=True)}
        pool = [u for s in self.slugs[practice.pk] for u in self.reviewers[s] if u.pk not in authors]  # never their own
        return self.rng.choice(pool)

    # --- one practice through its workflow --------------------------------------------------------
    def seed(self, index: int, slug: str, state: str, tlp: str, owner: User | None) -> Practice:
        rng = self.rng
        slugs = [slug]
        if rng.random() < 0.15:
            slugs.append(rng.choice([s for s in TOPIC_WEIGHTS if s != slug]))
        owner = owner or self.owner_for(slugs)
        excluded = {u.pk for s in slugs for u in self.reviewers[s]} | {owner.pk}
        colleagues = [u for u in self.by_country.get(owner.organisation.country_id, []) if u.pk not in excluded]
        co_authors = rng.sample(colleagues, 1) if colleagues and rng.random() < 0.3 else []
        scenario = rng.choice(SCENARIOS[slug])
        data = self.content(slug, scenario, owner, tlp)
        code = owner.organisation.country_id
        countries = [self.countries[code]]
        organisations = [owner.organisation]
        if rng.random() < 0.35:
            partner = rng.choice(NEIGHBOURS.get(code, ["BE"]))
            countries.append(self.countries[partner])
            if self.le_orgs.get(partner):
                organisations.append(self.le_orgs[partner][0])
        if rng.random() < 0.25:
            organisations.append(rng.choice(self.research))
        if state == "draft" and rng.random() < 0.4:
            # A draft saved as it is being written: the later sections are still empty.
            for name in ("results", "lessons", "transferability", "fundamental_rights"):
                data[name] = ""
        practice = actions.do_create_practice(
            owner,
            tlp=tlp,
            audience=self.audience(tlp, owner, slug),
            co_authors=co_authors,
            topics=[self.topics[s] for s in slugs],
            countries=countries,
            organisations=list(dict.fromkeys(organisations)),
            contacts=[owner, *co_authors],
            **data,
        )
        Practice.objects.filter(pk=practice.pk).update(uid=demo_uid(index))
        self.slugs[practice.pk] = slugs
        self.run_workflow(practice, state, owner)
        return practice

    def seed_national(self, index: int, language: str, code: str, slug: str, fields: dict[str, str]) -> Practice:
        """A published GREEN practice written in a national language, by a member of that country."""
        owner = self.by_country[code][0]
        practice = actions.do_create_practice(
            owner,
            tlp=TLP.GREEN,
            topics=[self.topics[slug]],
            countries=[self.countries[code]],
            organisations=[owner.organisation],
            contacts=[owner],
            language=language,
            cost_band=self.rng.choice(COST_BANDS),
            **fields,
        )
        Practice.objects.filter(pk=practice.pk).update(uid=demo_uid(index))
        self.slugs[practice.pk] = [slug]
        self.run_workflow(practice, "published", owner)
        return practice

    def run_workflow(self, practice: Practice, state: str, owner: User) -> None:
        rng = self.rng
        if state == "draft":
            return
        ticked = {c: True for c in ReviewCriterion.values}
        practice = actions.do_transition(owner, practice, "submit")
        if state == "submitted":
            return
        reviewer = self.reviewer_for(practice)
        if state in ("in_review", "changes_requested", "rejected") or rng.random() < 0.5:
            practice = actions.do_transition(reviewer, practice, "start_review")
            if rng.random() < 0.4:
                partial = {c: rng.random() < 0.6 for c in ReviewCriterion.values}
                actions.do_review_comment(reviewer, practice, checklist=partial, comment=rng.choice(INTERIM_COMMENTS))
        if state == "in_review":
            return
        if state == "rejected":
            practice = actions.do_transition(
                reviewer,
                practice,
                "reject",
                checklist={c: rng.random() < 0.4 for c in ReviewCriterion.values},
                comment=rng.choice(REJECT_COMMENTS),
            )
            return
        if state == "changes_requested" or rng.random() < 0.25:
            missing = rng.choice(list(REQUEST_CHANGES))
            practice = actions.do_transition(
                reviewer,
                practice,
                "request_changes",
                checklist={**ticked, missing: False},
                comment=REQUEST_CHANGES[missing],
            )
            if state == "changes_requested":
                return
            practice.refresh_from_db()
            practice = actions.do_update_practice(
                owner,
                practice,
                results=practice.results + "\n\nBaseline: the twelve months before the pilot, same regions.",
                legal_basis=practice.legal_basis + "\n- Authorisation by the public prosecutor where data is shared.",
            )
            practice = actions.do_transition(owner, practice, "submit")
        practice = actions.do_transition(
            reviewer, practice, "publish", checklist=ticked, comment=rng.choice(PUBLISH_COMMENTS)
        )
        edits = rng.choices([0, 1, 2], [65, 25, 10])[0]
        for field_name, text, note in rng.sample(REVISION_EDITS, edits):
            practice.refresh_from_db()
            value = text.format(a=rng.randint(20, 60), org=_ascii(owner.organisation.short_name))
            new = value if field_name == "contact_note" else f"{getattr(practice, field_name)}\n\n{value}"
            practice = actions.do_update_practice(owner, practice, note=note, **{field_name: new})
        if state == "archived":
            curator = rng.choice([owner, rng.choice(self.core_group)])
            practice = actions.do_transition(curator, practice, "archive", note="Superseded by a newer practice.")

    # --- feedback ---------------------------------------------------------------------------------
    def seed_feedback(self, practice: Practice) -> None:
        rng = self.rng
        if practice.state != Practice.State.PUBLISHED:
            return
        code = practice.owner_organisation.country_id
        # Who may see it, decided as visible_to does (labels meet, or an author), without a query per person.
        labels = set(practice.access_labels.values_list("label", flat=True))
        authors = {practice.owner_id, *practice.co_authors.values_list("pk", flat=True)}

        def sees(user: User) -> bool:
            return user.pk in authors or bool(labels & set(access.user_labels(user)))

        if rng.random() < 0.45:
            countries = [c for c in COUNTRY_WEIGHTS if c != code]
            for other in rng.sample(countries, rng.randint(1, 3)):
                pool = self.by_country.get(other, [])
                who = next((u for u in rng.sample(pool, len(pool)) if sees(u)), None)
                if who is None:
                    continue  # nobody there may see it (AMBER and stricter)
                status = rng.choices(list(Adoption.Status), [50, 30, 20])[0]
                actions.do_record_adoption(who, practice, status=status, note=rng.choice(ADOPTION_NOTES[status]))
        if rng.random() < 0.35:
            readers = [u for u in rng.sample(self.people, 12) if u.pk != practice.owner_id]
            readers = [u for u in readers if sees(u)]
            for reader in readers[: rng.randint(1, 2)]:
                n = rng.randrange(len(QUESTIONS))
                question = actions.do_add_comment(reader, practice, QUESTIONS[n])
                if rng.random() < 0.75:
                    actions.do_add_comment(practice.owner, practice, ANSWERS[n], parent=question)
                    if rng.random() < 0.5:
                        actions.do_add_comment(reader, practice, rng.choice(FOLLOW_UPS), parent=question)

    # --- realistic dates ----------------------------------------------------------------------------
    def spread_dates(self, practices: list[Practice]) -> None:
        """The actions stamp "now"; spread the collection over the past three years, in order."""
        rng = self.rng
        now = self.now
        for practice in practices:
            released = practice.published_at is not None
            age = rng.randint(200, 1100) if released else rng.randint(3, 150)
            created = now - dt.timedelta(days=age, minutes=rng.randint(0, 1440))
            cursor = created
            fields: dict[str, Any] = {"created_at": created}
            if practice.submitted_at:
                cursor = cursor + dt.timedelta(days=rng.randint(3, 20))
                fields["submitted_at"] = min(cursor, now - dt.timedelta(days=2))
            for review in Review.objects.filter(practice=practice).order_by("id"):
                cursor = cursor + dt.timedelta(days=rng.randint(1, 10), hours=rng.randint(0, 8))
                Review.objects.filter(pk=review.pk).update(created_at=min(cursor, now))
            if released:
                fields["published_at"] = min(cursor, now)
            for revision in PracticeRevision.objects.filter(practice=practice).order_by("number"):
                if revision.number > 1:
                    cursor = cursor + dt.timedelta(days=rng.randint(20, 150))
                PracticeRevision.objects.filter(pk=revision.pk).update(created_at=min(cursor, now))
            for adoption in Adoption.objects.filter(practice=practice).order_by("id"):
                cursor = cursor + dt.timedelta(days=rng.randint(5, 60))
                when = min(cursor, now)
                Adoption.objects.filter(pk=adoption.pk).update(created_at=when, updated_at=when)
            for comment in Comment.objects.filter(practice=practice).order_by("id"):
                cursor = cursor + dt.timedelta(days=rng.randint(1, 20), hours=rng.randint(0, 12))
                Comment.objects.filter(pk=comment.pk).update(created_at=min(cursor, now))
            fields["updated_at"] = min(cursor, now)
            Practice.objects.filter(pk=practice.pk).update(**fields)

    # --- everything -------------------------------------------------------------------------------
    def run(self) -> list[Practice]:
        rng = self.rng
        self.seed_topics()
        states = [s for s, n in STATE_COUNTS.items() for _ in range(n)]
        tlps = [t for t, n in TLP_COUNTS.items() for _ in range(n)]
        slugs = rng.choices(list(TOPIC_WEIGHTS), list(TOPIC_WEIGHTS.values()), k=PRACTICE_COUNT)
        # Every topic gets practices; the fixed ones (the demo sign-ins' own work) come first.
        for n, slug in enumerate(TOPIC_WEIGHTS):
            slugs[n + len(FIXED)] = slug
        plan: list[tuple[str, str, str, User | None]] = []
        for username, slug, state, tlp in FIXED:
            states.remove(state)
            tlps.remove(tlp)
            plan.append((slug, state, tlp, self.by_username[username]))
        rng.shuffle(states)
        rng.shuffle(tlps)
        for n in range(len(FIXED), PRACTICE_COUNT):
            plan.append((slugs[n], states.pop(), tlps.pop(), None))
        practices = []
        for index, (slug, state, tlp, owner) in enumerate(plan):
            practices.append(self.seed(index, slug, state, tlp, owner))
        for number, spec in enumerate(NATIONAL):
            practices.append(self.seed_national(PRACTICE_COUNT + number, *spec))
        practices = list(Practice.objects.filter(pk__in=[p.pk for p in practices]).order_by("pk"))
        for practice in practices:
            self.seed_feedback(practice)
        self.spread_dates(list(Practice.objects.filter(pk__in=[p.pk for p in practices]).order_by("pk")))
        return practices


def demo_practices_exist() -> bool:
    return Practice.objects.filter(uid=demo_uid(0)).exists()


def seed_practices(stdout: Any = None) -> int:
    """Load the demo practices (once); return how many were made (0 when already there)."""

    def say(text: str) -> None:
        if stdout is not None:
            stdout.write(text)

    if demo_practices_exist():
        say("The demo practices are already loaded.")
        return 0
    if not User.objects.filter(username="secretariat").exists():
        say("No demo network, so no demo practices: run `manage.py seed_demo`.")
        return 0
    started = time.monotonic()
    try:
        # No e-mails and no per-write index tasks: `make run` rebuilds the index after seeding.
        with bulk_load(), transaction.atomic():
            practices = PracticeSeeder(stdout).run()
    except ActionError as exc:  # a rule changed under the demo: say which, load nothing
        raise RuntimeError(f"The demo practices could not be loaded: {exc.message}") from exc
    seconds = time.monotonic() - started
    released = Practice.objects.filter(Q(state="published") | Q(state="archived")).count()
    say(
        f"Loaded {len(practices)} demo practices ({released} published or archived) over "
        f"{Topic.objects.filter(practices__isnull=False).distinct().count()} topics in {seconds:.1f} s."
    )
    return len(practices)
