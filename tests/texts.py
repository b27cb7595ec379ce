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
