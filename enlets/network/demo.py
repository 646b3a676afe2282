"""Data tables of the demo network (`manage.py seed_demo`). Plausible, not real people.

Organisation names follow the public names of the services; every person, e-mail address,
phone number and document is invented. Industry names are fictional on purpose.
"""

from __future__ import annotations

# The fixed demo second factor: any authenticator app accepts this base32 secret.
DEMO_TOTP_SECRET = "ENLETSHUBDEMOTOTPSECRETKEY234567"
DEMO_DEFAULT_PASSWORD = "enlets-demo-2026"
DEMO_SEED = 2013  # the year of the Council Conclusions; any integer gives another, still fixed, network

# (kind, country, name, short name, website)
LE, MIN, EU, RES, IND, UNI = "law_enforcement", "ministry", "eu_body", "research", "industry", "university"
ORGANISATIONS: list[tuple[str, str, str, str, str]] = [
    # One national police technology service per member state: the home of its NCP.
    (LE, "AT", "Bundeskriminalamt, Abteilung Kriminaltechnik", "BK AT", "https://www.bundeskriminalamt.at"),
    (LE, "BE", "Federal Police, Directorate of Police Information and ICT", "DRI", "https://www.police.be"),
    (LE, "BG", "General Directorate National Police", "GDNP", "https://www.mvr.bg"),
    (LE, "HR", "Police Directorate, Technology Department", "Croatian Police", "https://policija.gov.hr"),
    (LE, "CY", "Cyprus Police, Research and Development Office", "Cyprus Police", "https://www.police.gov.cy"),
    (LE, "CZ", "Police of the Czech Republic, Police Technology Department", "PCR", "https://www.policie.cz"),
    (LE, "DK", "Danish National Police, Technology Centre", "Rigspolitiet", "https://politi.dk"),
    (LE, "EE", "Police and Border Guard Board, Development Department", "PPA", "https://www.politsei.ee"),
    (LE, "FI", "National Police Board, ICT and Technology Unit", "Poliisihallitus", "https://poliisi.fi"),
    (LE, "FR", "Ministry of the Interior, ST(SI)2 Technology Service", "ST(SI)2", "https://www.interieur.gouv.fr"),
    (LE, "DE", "Bundeskriminalamt, Technology and Innovation Unit", "BKA", "https://www.bka.de"),
    (LE, "EL", "Hellenic Police, Division of Informatics", "Hellenic Police", "https://www.astynomia.gr"),
    (LE, "HU", "Hungarian National Police Headquarters, IT Directorate", "ORFK", "https://www.police.hu"),
    (LE, "IE", "An Garda Síochána, Technology and Innovation", "Garda", "https://www.garda.ie"),
    (
        LE,
        "IT",
        "Polizia di Stato, Central Directorate for Technical Services",
        "Polizia di Stato",
        "https://www.poliziadistato.it",
    ),
    (LE, "LV", "State Police of Latvia, Technology Board", "Valsts policija", "https://www.vp.gov.lv"),
    (LE, "LT", "Police Department under the Ministry of the Interior", "Lithuanian Police", "https://policija.lrv.lt"),
    (LE, "LU", "Grand Ducal Police, IT Directorate", "Police grand-ducale", "https://police.public.lu"),
    (LE, "MT", "Malta Police Force, Technology Section", "Malta Police", "https://pulizija.gov.mt"),
    (LE, "NL", "Netherlands Police, Police Technology Service", "Politie NL", "https://www.politie.nl"),
    (LE, "PL", "Polish National Police Headquarters, Bureau of Communication and IT", "KGP", "https://policja.pl"),
    (LE, "PT", "Polícia Judiciária, Technology Unit", "PJ", "https://www.policiajudiciaria.pt"),
    (LE, "RO", "Romanian Police, Directorate for Technology", "IGPR", "https://www.politiaromana.ro"),
    (LE, "SK", "Police Force of the Slovak Republic, Technical Directorate", "PZ SR", "https://www.minv.sk"),
    (LE, "SI", "Slovenian Police, Information and Telecommunications Office", "Policija SI", "https://www.policija.si"),
    (LE, "ES", "Guardia Civil, Innovation and Technology Service", "Guardia Civil", "https://www.guardiacivil.es"),
    (
        LE,
        "SE",
        "Swedish Police Authority, National Forensic and Technology Department",
        "Polisen",
        "https://polisen.se",
    ),
    # More law-enforcement services in the larger states.
    (LE, "FR", "Gendarmerie nationale, Innovation Centre", "Gendarmerie", "https://www.gendarmerie.interieur.gouv.fr"),
    (LE, "IT", "Arma dei Carabinieri, Technology Command", "Carabinieri", "https://www.carabinieri.it"),
    (LE, "ES", "Policía Nacional, Technical Services", "Policía Nacional", "https://www.policia.es"),
    (
        LE,
        "DE",
        "Central Office for Information Technology in the Security Sector",
        "ZITiS",
        "https://www.zitis.bund.de",
    ),
    (LE, "NL", "Netherlands Forensic Institute", "NFI", "https://www.forensicinstitute.nl"),
    (LE, "BE", "Federal Judicial Police, Regional Computer Crime Unit Brussels", "FCCU", "https://www.police.be"),
    # Ministries.
    (MIN, "AT", "Federal Ministry of the Interior", "BMI AT", "https://www.bmi.gv.at"),
    (MIN, "DE", "Federal Ministry of the Interior", "BMI DE", "https://www.bmi.bund.de"),
    (MIN, "NL", "Ministry of Justice and Security", "JenV", "https://www.government.nl"),
    (MIN, "RO", "Ministry of Internal Affairs", "MAI", "https://www.mai.gov.ro"),
    (MIN, "ES", "Secretariat of State for Security", "SES", "https://www.interior.gob.es"),
    (MIN, "PL", "Ministry of the Interior and Administration", "MSWiA", "https://www.gov.pl"),
    (MIN, "EL", "Ministry of Citizen Protection", "Citizen Protection", "https://www.mopocp.gov.gr"),
    (MIN, "FI", "Ministry of the Interior", "Sisäministeriö", "https://intermin.fi"),
    # EU bodies.
    (EU, "NL", "Europol", "Europol", "https://www.europol.europa.eu"),
    (EU, "EE", "eu-LISA", "eu-LISA", "https://www.eulisa.europa.eu"),
    (EU, "HU", "CEPOL", "CEPOL", "https://www.cepol.europa.eu"),
    (EU, "BE", "European Commission, DG Migration and Home Affairs", "DG HOME", "https://home-affairs.ec.europa.eu"),
    # Research institutes.
    (RES, "NL", "TNO Defence, Safety and Security", "TNO", "https://www.tno.nl"),
    (RES, "DE", "Fraunhofer IOSB", "Fraunhofer IOSB", "https://www.iosb.fraunhofer.de"),
    (RES, "FI", "VTT Technical Research Centre of Finland", "VTT", "https://www.vttresearch.com"),
    (RES, "AT", "AIT Austrian Institute of Technology", "AIT", "https://www.ait.ac.at"),
    (RES, "EL", "Centre for Research and Technology Hellas", "CERTH", "https://www.certh.gr"),
    (RES, "ES", "Vicomtech", "Vicomtech", "https://www.vicomtech.org"),
    # Universities.
    (UNI, "BE", "KU Leuven, Centre for IT and IP Law", "KU Leuven CiTiP", "https://www.law.kuleuven.be"),
    (UNI, "NL", "University of Twente", "UT", "https://www.utwente.nl"),
    (UNI, "EE", "Tallinn University of Technology", "TalTech", "https://taltech.ee"),
    (UNI, "IE", "Dublin City University", "DCU", "https://www.dcu.ie"),
    (UNI, "IT", "Sapienza University of Rome", "Sapienza", "https://www.uniroma1.it"),
    # Industry (fictional companies).
    (IND, "DE", "Aerovigil GmbH", "Aerovigil", "https://aerovigil.example"),
    (IND, "FR", "Skyguard Détection SAS", "Skyguard", "https://skyguard.example"),
    (IND, "NL", "Lumen Forensics B.V.", "Lumen", "https://lumen-forensics.example"),
    (IND, "SE", "Nordic Sensor Systems AB", "NSS", "https://nordic-sensors.example"),
    (IND, "LT", "Baltic Chain Analytics UAB", "BCA", "https://baltic-chain.example"),
    (IND, "ES", "Iberia Vision Systems S.L.", "IVS", "https://iberia-vision.example"),
]

ORG_DESCRIPTIONS = {
    LE: "Law-enforcement technology service: gathers operational needs, tests solutions and runs national roll-outs.",
    MIN: "Ministry responsible for internal security policy, funding and national procurement frameworks.",
    EU: "EU agency or institution that supports the member states' law-enforcement cooperation.",
    RES: "Research and technology organisation working with end users on security research.",
    UNI: "University research group in security technology, law and ethics.",
    IND: "Supplier of security technology; takes part in industry days and market consultations.",
}

# Plausible first and last names per country (invented combinations).
NAMES: dict[str, tuple[list[str], list[str]]] = {
    "AT": (
        ["Lukas", "Anna", "Stefan", "Katharina", "Florian", "Julia"],
        ["Gruber", "Huber", "Wagner", "Pichler", "Steiner", "Moser"],
    ),
    "BE": (
        ["Pieter", "Sophie", "Thomas", "Elise", "Julien", "Lotte"],
        ["Peeters", "Janssens", "Dubois", "Maes", "Lambert", "Claes"],
    ),
    "BG": (
        ["Georgi", "Maria", "Ivan", "Elena", "Dimitar", "Petya"],
        ["Ivanov", "Petrova", "Georgiev", "Dimitrova", "Todorov", "Nikolova"],
    ),
    "HR": (
        ["Ivan", "Ana", "Marko", "Petra", "Luka", "Maja"],
        ["Horvat", "Kovačević", "Babić", "Marić", "Jurić", "Novak"],
    ),
    "CY": (
        ["Andreas", "Eleni", "Christos", "Maria", "Nikos", "Sofia"],
        ["Georgiou", "Constantinou", "Charalambous", "Ioannou", "Nicolaou", "Demetriou"],
    ),
    "CZ": (
        ["Jan", "Tereza", "Petr", "Lucie", "Tomáš", "Kateřina"],
        ["Novák", "Svobodová", "Dvořák", "Černá", "Procházka", "Kučerová"],
    ),
    "DK": (
        ["Mads", "Sofie", "Rasmus", "Ida", "Jesper", "Mette"],
        ["Jensen", "Nielsen", "Hansen", "Pedersen", "Andersen", "Christensen"],
    ),
    "EE": (
        ["Martin", "Kadri", "Andres", "Liis", "Tanel", "Kristiina"],
        ["Tamm", "Saar", "Sepp", "Mägi", "Kask", "Kukk"],
    ),
    "FI": (
        ["Mikko", "Laura", "Juha", "Sanna", "Antti", "Riikka"],
        ["Korhonen", "Virtanen", "Mäkinen", "Nieminen", "Laine", "Heikkinen"],
    ),
    "FR": (
        ["Julien", "Camille", "Nicolas", "Claire", "Mathieu", "Amélie"],
        ["Martin", "Bernard", "Moreau", "Lefèvre", "Girard", "Fournier"],
    ),
    "DE": (
        ["Jonas", "Katrin", "Michael", "Sabine", "Tobias", "Lena"],
        ["Müller", "Schmidt", "Fischer", "Weber", "Becker", "Hoffmann"],
    ),
    "EL": (
        ["Giorgos", "Katerina", "Dimitris", "Eleni", "Kostas", "Ioanna"],
        ["Papadopoulos", "Papadaki", "Nikolaidis", "Georgiadou", "Vlachos", "Karagianni"],
    ),
    "HU": (
        ["Bence", "Eszter", "Gábor", "Zsófia", "Péter", "Anna"],
        ["Nagy", "Kovács", "Tóth", "Szabó", "Horváth", "Varga"],
    ),
    "IE": (
        ["Conor", "Aoife", "Seán", "Niamh", "Ciarán", "Siobhán"],
        ["Murphy", "Kelly", "O'Sullivan", "Walsh", "Byrne", "Ryan"],
    ),
    "IT": (
        ["Marco", "Giulia", "Alessandro", "Francesca", "Luca", "Chiara"],
        ["Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano"],
    ),
    "LV": (
        ["Jānis", "Līga", "Mārtiņš", "Ilze", "Andris", "Kristīne"],
        ["Bērziņš", "Kalniņa", "Ozols", "Liepiņa", "Krūmiņš", "Zariņa"],
    ),
    "LT": (
        ["Tomas", "Rūta", "Mantas", "Eglė", "Darius", "Ieva"],
        ["Kazlauskas", "Petrauskaitė", "Jankauskas", "Stankevičiūtė", "Vasiliauskas", "Žukauskaitė"],
    ),
    "LU": (
        ["Luc", "Anne", "Marc", "Claudine", "Tom", "Sandra"],
        ["Schmit", "Muller", "Weber", "Hoffmann", "Wagner", "Reuter"],
    ),
    "MT": (
        ["Joseph", "Maria", "Mark", "Claire", "Daniel", "Rebecca"],
        ["Borg", "Camilleri", "Vella", "Farrugia", "Zammit", "Galea"],
    ),
    "NL": (
        ["Daan", "Sanne", "Bram", "Lieke", "Joost", "Marloes"],
        ["de Vries", "Jansen", "Bakker", "Visser", "Smit", "van den Berg"],
    ),
    "PL": (
        ["Piotr", "Anna", "Tomasz", "Katarzyna", "Paweł", "Agnieszka"],
        ["Nowak", "Kowalska", "Wiśniewski", "Wójcik", "Kamiński", "Lewandowska"],
    ),
    "PT": (
        ["João", "Ana", "Miguel", "Inês", "Rui", "Catarina"],
        ["Silva", "Santos", "Ferreira", "Pereira", "Costa", "Oliveira"],
    ),
    "RO": (
        ["Andrei", "Ioana", "Mihai", "Elena", "Alexandru", "Cristina"],
        ["Popescu", "Ionescu", "Constantin", "Dumitrescu", "Stan", "Marin"],
    ),
    "SK": (
        ["Martin", "Zuzana", "Peter", "Jana", "Michal", "Lucia"],
        ["Horváth", "Kováčová", "Varga", "Tóthová", "Baláž", "Nagyová"],
    ),
    "SI": (
        ["Luka", "Nina", "Matej", "Eva", "Jure", "Tina"],
        ["Novak", "Horvat", "Krajnc", "Zupančič", "Potočnik", "Kovač"],
    ),
    "ES": (
        ["Javier", "Lucía", "Carlos", "María", "Pablo", "Elena"],
        ["García", "Fernández", "López", "Martínez", "Sánchez", "Romero"],
    ),
    "SE": (
        ["Erik", "Anna", "Johan", "Karin", "Oskar", "Emma"],
        ["Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Lindqvist"],
    ),
}

LANGUAGES = {
    "AT": "German",
    "BE": "Dutch, French",
    "BG": "Bulgarian",
    "HR": "Croatian",
    "CY": "Greek",
    "CZ": "Czech",
    "DK": "Danish",
    "EE": "Estonian",
    "FI": "Finnish, Swedish",
    "FR": "French",
    "DE": "German",
    "EL": "Greek",
    "HU": "Hungarian",
    "IE": "Irish",
    "IT": "Italian",
    "LV": "Latvian",
    "LT": "Lithuanian",
    "LU": "Luxembourgish, French, German",
    "MT": "Maltese",
    "NL": "Dutch",
    "PL": "Polish",
    "PT": "Portuguese",
    "RO": "Romanian",
    "SK": "Slovak",
    "SI": "Slovenian",
    "ES": "Spanish",
    "SE": "Swedish",
}

PHONE_PREFIX = {
    "AT": "+43",
    "BE": "+32",
    "BG": "+359",
    "HR": "+385",
    "CY": "+357",
    "CZ": "+420",
    "DK": "+45",
    "EE": "+372",
    "FI": "+358",
    "FR": "+33",
    "DE": "+49",
    "EL": "+30",
    "HU": "+36",
    "IE": "+353",
    "IT": "+39",
    "LV": "+371",
    "LT": "+370",
    "LU": "+352",
    "MT": "+356",
    "NL": "+31",
    "PL": "+48",
    "PT": "+351",
    "RO": "+40",
    "SK": "+421",
    "SI": "+386",
    "ES": "+34",
    "SE": "+46",
}

EXPERTISE = [
    "drone detection",
    "radio-frequency analysis",
    "ANPR",
    "video analytics",
    "OSINT",
    "cryptocurrency tracing",
    "mobile-device forensics",
    "public-order equipment",
    "body-worn cameras",
    "procurement law",
    "ballistic protection",
    "control-room systems",
    "cross-border data exchange",
    "cyber incident response",
    "digital workplace",
    "remote vehicle stopping",
    "biometrics",
    "data protection impact assessments",
    "Horizon Europe projects",
    "market consultations",
    "test and evaluation",
    "SIGINT",
    "secure mobile communication",
    "AI ethics",
]

JOB_TITLES = {
    LE: [
        "Technology advisor",
        "Innovation manager",
        "Head of technology scouting",
        "Project manager",
        "Forensic engineer",
        "Operational specialist",
        "Chief inspector, technology",
        "IT architect",
    ],
    MIN: ["Policy officer", "Senior policy advisor", "Head of security research", "Programme manager"],
    EU: ["Liaison officer", "Innovation Lab specialist", "Policy officer", "Training coordinator"],
    RES: ["Senior scientist", "Research engineer", "Programme manager, security"],
    UNI: ["Associate professor", "Postdoctoral researcher", "Research fellow"],
    IND: ["Business developer, public safety", "Product manager", "Solutions engineer"],
}

# Technology Interest Groups of DOMAIN.md: (slug, name, description, [(sub slug, sub name, description)]).
GROUPS: list[tuple[str, str, str, list[tuple[str, str, str]]]] = [
    (
        "counter-drone",
        "Counter-drone (C-UAS)",
        "Detection, identification and neutralisation of unauthorised drones; regulation and U-space; "
        "test days with industry.",
        [
            ("c-uas-regulation", "Regulation", "EU and national rules for drones and for counter-drone measures."),
            ("c-uas-u-space", "U-Space", "What U-space services mean for the police: e-identification and geofencing."),
            ("c-uas-detection", "Detection", "RF, radar, acoustic and optical detection: test results and gaps."),
            (
                "c-uas-neutralisation",
                "Neutralisation",
                "Jamming, spoofing, nets and interceptor drones: legal and operational limits.",
            ),
            ("c-uas-forensics", "Forensics", "Recovering flight logs and media from seized drones."),
        ],
    ),
    (
        "digital-workplace",
        "Digital Workplace",
        "Mobile solutions for the officer on the street and the digital workplace behind them (formerly Mobile "
        "Solutions).",
        [],
    ),
    (
        "financial-investigations",
        "Financial Investigations",
        "Tools and methods for following the money, from bank data to virtual assets.",
        [("fin-crypto", "Cryptocurrencies", "Tracing, seizing and storing virtual assets.")],
    ),
    ("public-order", "Public Order", "Equipment and technology for policing large events and demonstrations.", []),
    (
        "procurement",
        "Procurement",
        "Joint specifications and market consultations, for example ballistic vests.",
        [("procurement-ballistic", "Ballistic protection", "Common test standards and specifications for vests.")],
    ),
    (
        "operational-centres",
        "Operational Centres",
        "Control rooms and the cross-border data they need in the 'golden hour' after an incident.",
        [],
    ),
    ("cyber-security", "Cyber Security", "Protecting police systems and responding to incidents.", []),
    (
        "mobile-forensics",
        "Mobile-device Forensics",
        "Extraction and analysis of data from phones, tablets and wearables.",
        [],
    ),
    (
        "anpr",
        "ANPR",
        "Automatic number plate recognition: choosing, optimising and sharing across borders (an EDBP topic).",
        [],
    ),
    ("osint", "OSINT", "Open-source intelligence: tools, tradecraft and legal limits (an EDBP topic).", []),
]

# Titles per group (and a general pool). {country}, {year}, {month} and {city} are filled in.
TOPIC_TITLES: dict[str, list[str]] = {
    "counter-drone": [
        "C-UAS test day {city} {year}: results summary",
        "Market survey of RF drone detectors",
        "Requirements for a mobile counter-drone kit",
        "Lessons learned from drone incidents at {city} airport",
        "Counter-drone protection of large events: a checklist",
        "Minutes of the C-UAS meeting, {month} {year}",
    ],
    "c-uas-regulation": [
        "Overview of national counter-drone legislation",
        "Legal basis for jamming in {country}",
        "Comments on the drone regulation review",
    ],
    "c-uas-u-space": ["U-space network identification: what police need", "Geofencing data for police operations"],
    "c-uas-detection": [
        "Radar versus RF detection: comparative trial",
        "Acoustic drone detection in urban areas",
        "Detection ranges measured at the {city} trial",
    ],
    "c-uas-neutralisation": ["Interceptor drones: operational experience", "Jammer side effects on GNSS users"],
    "c-uas-forensics": ["Extracting flight logs from consumer drones", "Chain of custody for seized drones"],
    "digital-workplace": [
        "Smartphones for patrol officers: roll-out in {country}",
        "Mobile identity checks against national databases",
        "Secure messaging for police teams",
        "Digital workplace survey {year}",
    ],
    "financial-investigations": [
        "Bank data requests: a common template",
        "Follow-the-money toolkit overview",
        "Financial intelligence in organised-crime cases",
    ],
    "fin-crypto": [
        "Seizing cryptocurrency wallets: a practical guide",
        "Blockchain analytics tools compared",
        "Storing seized virtual assets safely",
    ],
    "public-order": [
        "Body-worn cameras at demonstrations",
        "Crowd monitoring with drones: legal limits",
        "Equipment list for large events",
        "Less-lethal options: an overview",
    ],
    "procurement": [
        "Joint procurement of ballistic vests: specification draft",
        "Pre-commercial procurement in {country}",
        "Market consultation report: {year}",
    ],
    "procurement-ballistic": ["Ballistic vest test protocol", "Stab and ballistic protection levels compared"],
    "operational-centres": [
        "Cross-border data in the golden hour",
        "Control-room integration of video feeds",
        "112 and police control rooms: interfaces",
    ],
    "cyber-security": [
        "Incident response playbook for police networks",
        "Ransomware exercise {year}: lessons",
        "Securing forensic workstations",
    ],
    "mobile-forensics": [
        "Extraction tools benchmark {year}",
        "Cloud data and mobile forensics",
        "Triage of phones at the scene",
    ],
    "anpr": [
        "ANPR Information Disseminator: choosing a system",
        "Optimising ANPR read rates",
        "Operational ANPR trial in {city}: rankings",
        "Sharing ANPR hits across borders",
    ],
    "osint": [
        "OSINT tradecraft for investigators",
        "Social media monitoring: legal framework in {country}",
        "OSINT tool repository: evaluation criteria",
    ],
    "": [
        "ENLETS annual report {year}",
        "National technology needs of {country} {year}",
        "Horizon Europe Cluster 3 call HORIZON-CL3-{year}-FCT-01: end-user input",
        "Technology watch: emerging trends {year}",
        "Good practice: remote stopping of vehicles",
        "Newsletter {month} {year}",
        "Core Group meeting minutes, {month} {year}",
        "Industry day {city}: programme and notes",
        "Innovation Lab technology scan summary",
        "Data-protection impact assessment template",
        "Fundamental-rights checklist for new technology",
        "Surveillance technology: common test conditions",
        "Front-line policing: handheld devices",
    ],
}

CITIES = {
    "AT": "Vienna",
    "BE": "Brussels",
    "BG": "Sofia",
    "HR": "Zagreb",
    "CY": "Nicosia",
    "CZ": "Prague",
    "DK": "Copenhagen",
    "EE": "Tallinn",
    "FI": "Helsinki",
    "FR": "Lyon",
    "DE": "Wiesbaden",
    "EL": "Athens",
    "HU": "Budapest",
    "IE": "Dublin",
    "IT": "Rome",
    "LV": "Riga",
    "LT": "Vilnius",
    "LU": "Luxembourg",
    "MT": "Valletta",
    "NL": "The Hague",
    "PL": "Warsaw",
    "PT": "Lisbon",
    "RO": "Bucharest",
    "SK": "Bratislava",
    "SI": "Ljubljana",
    "ES": "Madrid",
    "SE": "Stockholm",
}
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "September", "October", "November"]

PROBLEMS = [
    "Officers could not tell a hobby drone from a hostile one in time to act.",
    "Data from neighbouring states arrived hours after the incident, too late to matter.",
    "Each region bought its own equipment, with incompatible interfaces.",
    "Investigators spent days on manual extraction that a tool can do in hours.",
    "Suppliers did not understand the operational conditions of the end users.",
    "Results of an earlier research project were lost when the project ended.",
]
SOLUTIONS = [
    "A combined RF and radar sensor set, tested in realistic conditions with the operational teams.",
    "A shared specification written with three member states and checked against existing tools first.",
    "A mobile application integrated with the national databases, rolled out in phases.",
    "A common test protocol, so that results from different trials can be compared.",
    "A joint market consultation followed by a pre-commercial procurement.",
]
LESSONS = [
    "Involve the end users from the first day, not at acceptance testing.",
    "Budget for training: the tool is only as good as the people using it.",
    "Agree on the data-protection impact assessment before the pilot, not after.",
    "Test in the environment where the tool will be used; lab results flattered the systems.",
    "Share the evaluation openly within the network; others repeated our mistakes otherwise.",
    "Plan the step from pilot to operations early, or the results slip by.",
]
