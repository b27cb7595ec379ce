"""Small made-up news texts for tests (written for this project; no publisher's text)."""

from __future__ import annotations

WIRE = [
    "MILLBROOK, Ohio (AP) — A fire tore through a plastics factory on the edge of Millbrook "
    "early Tuesday, forcing hundreds of residents to leave their homes as thick black smoke "
    "drifted over the town.",
    "Fire Chief Dana Ruiz said crews were called to the Kessler Polymers plant shortly after "
    "4 a.m. and found the main warehouse fully engulfed.",
    "No injuries were reported among the 40 workers on the overnight shift, the company said "
    "in a statement.",
    "State environmental officials were testing the air in nearby neighborhoods and urged "
    "people within two miles of the plant to keep windows closed.",
    "The cause of the fire was under investigation, Ruiz said.",
]

REWRITES = {
    "CBS": [
        WIRE[0],
        WIRE[1],
        "Nobody among the 40 employees working the night shift was hurt, according to the company.",
        WIRE[3],
        "CBS News affiliate WKRC reported that schools in Millbrook would stay closed on "
        "Wednesday.",
    ],
    "ABC": [
        WIRE[0],
        "Fire Chief Dana Ruiz said crews were called to the Kessler Polymers plant shortly "
        "after 4 a.m. and found the main warehouse already fully engulfed in flames.",
        WIRE[2],
        WIRE[4],
    ],
    "MSN": list(WIRE),
    "Yahoo": [
        WIRE[0],
        WIRE[2],
        WIRE[3],
        "Residents posted videos of towering flames and a plume visible from miles away.",
    ],
}

OTHER = [
    "LISBON, Portugal (AP) — Portugal's parliament approved a budget on Friday that raises "
    "pensions and cuts income taxes for young workers, ending weeks of tense negotiations.",
    "Prime Minister Luis Carvalho's minority government needed the abstention of two "
    "opposition parties to pass the spending plan.",
    "Economists warned that the measures could widen the deficit next year if growth slows.",
]

# Four unrelated made-up stories, three differently worded articles each (regrouping tests).
TOPICS = {
    "ferry": [
        "A passenger ferry ran aground off Halvik Island on Sunday evening, and coast guard "
        "boats carried its 212 passengers back to the harbour. The ferry operator said the hull "
        "was damaged but no one was hurt.",
        "Coast guard crews rescued everyone aboard the Halvik Island ferry after it struck rocks "
        "near the harbour entrance. Divers will inspect the damaged hull on Monday, the ferry "
        "operator said.",
        "The Halvik ferry grounding left the island without its only passenger service. The "
        "operator promised a replacement ferry while the coast guard investigates how the "
        "vessel hit the rocks.",
    ],
    "budget": [
        "The Dunmore city council approved a budget that raises property taxes by three percent "
        "to pay for road repairs. Mayor Elena Prost called the council vote a hard choice.",
        "Dunmore homeowners will pay higher property taxes after the council passed the mayor's "
        "budget by five votes to four. The budget sets aside money for road repairs and buses.",
        "Critics of the Dunmore budget told the council that the property tax increase hurts "
        "pensioners. Mayor Prost said road repairs could not wait another year.",
    ],
    "transfer": [
        "Striker Tomas Varga completed his transfer to Rovers for a club record fee, signing a "
        "four-year contract. Rovers fans greeted the striker at the stadium on Friday.",
        "Rovers confirmed the record signing of striker Tomas Varga, whose transfer fee was not "
        "disclosed. The manager said Varga would start in Saturday's league match.",
        "Tomas Varga scored twice on his Rovers debut, days after his record transfer. The "
        "striker thanked the fans and said the league title was the club's goal.",
    ],
    "drought": [
        "Farmers in the Selva valley are losing their wheat harvest to the worst drought in "
        "forty years. Reservoirs stand at a fifth of their capacity, irrigation officials said.",
        "The Selva valley drought has forced irrigation officials to ration water for farmers. "
        "Wheat and barley harvests are expected to fall by half.",
        "Rain finally reached the Selva valley, but farmers said it came too late for the wheat "
        "harvest. Reservoirs remain low after the long drought.",
    ],
}
