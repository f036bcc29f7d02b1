"""Deterministic, newsroom-shaped sample text: multi-paragraph articles that
read like copy (so merges and diffs look like real work), made from a seed."""

from __future__ import annotations

import random

PLACES = [
    "the council",
    "the harbour board",
    "the regional hospital",
    "the university",
    "the water utility",
    "the chamber of commerce",
    "the transport authority",
    "the museum trust",
    "the school district",
    "the fire service",
]
PEOPLE = [
    "the mayor",
    "a spokesperson",
    "the committee chair",
    "local residents",
    "the finance director",
    "union representatives",
    "the head teacher",
    "an independent auditor",
    "the planning officer",
    "shop owners",
]
TOPICS = [
    "budget",
    "bridge repairs",
    "flood defences",
    "bus timetable",
    "housing plan",
    "library hours",
    "harvest festival",
    "river clean-up",
    "election count",
    "stadium lease",
    "market reopening",
    "heatwave response",
    "tram extension",
]
VERBS = [
    "announced",
    "confirmed",
    "warned",
    "argued",
    "said",
    "insisted",
    "revealed",
    "acknowledged",
    "suggested",
    "promised",
]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
OUTCOMES = [
    "the decision would be reviewed next month",
    "no final figure had been agreed",
    "the work should be finished before the winter",
    "costs had risen by almost a fifth since the spring",
    "the plan still needed approval from the regional office",
    "a public meeting would be held at the town hall",
    "the delay was caused by a shortage of materials",
    "volunteers had already signed up to help",
    "the figures would be published in full on the website",
    "residents would be consulted before any change",
]
QUOTES = [
    "We owe people a straight answer, and this is it.",
    "Nobody wanted it to take this long.",
    "The numbers speak for themselves.",
    "We will keep listening to the people who live here.",
    "It is a good day for the whole town.",
    "There is still a lot of work to do.",
    "We were not consulted, and that matters.",
    "This is what the community asked for.",
]
HEADLINE = [
    "{Topic} delayed again",
    "{Topic}: what happens next",
    "Council backs {topic}",
    "Questions over {topic}",
    "{Topic} wins support",
    "New date set for {topic}",
    "{Topic} costs rise",
    "Residents split over {topic}",
]


def _sentence(rng: random.Random) -> str:
    shape = rng.randrange(4)
    if shape == 0:
        return (
            f"{rng.choice(PEOPLE).capitalize()} {rng.choice(VERBS)} on {rng.choice(DAYS)} "
            f"that {rng.choice(OUTCOMES)}."
        )
    if shape == 1:
        return f'"{rng.choice(QUOTES)}" {rng.choice(PEOPLE)} {rng.choice(VERBS)}.'
    if shape == 2:
        return (
            f"According to {rng.choice(PLACES)}, the {rng.choice(TOPICS)} has drawn "
            f"{rng.randint(3, 90)} written comments and {rng.randint(2, 40)} objections."
        )
    return (
        f"The {rng.choice(TOPICS)} was first proposed {rng.randint(2, 11)} years ago, "
        f"when {rng.choice(PLACES)} {rng.choice(VERBS)} that {rng.choice(OUTCOMES)}."
    )


def paragraph(rng: random.Random) -> str:
    return " ".join(_sentence(rng) for _ in range(rng.randint(3, 6)))


def article_text(rng: random.Random, paragraphs: int | None = None) -> str:
    count = paragraphs if paragraphs is not None else rng.randint(3, 7)
    return "\n\n".join(paragraph(rng) for _ in range(count))


def headline(rng: random.Random) -> str:
    topic = rng.choice(TOPICS)
    return rng.choice(HEADLINE).format(Topic=topic.capitalize(), topic=topic)
