"""Utterances and per-utterance sentiment for Contact Lens segments.

A conversation alternates agent and customer turns every few seconds while the agent is connected
(none during hold). Customer sentiment is drawn per utterance: mostly NEUTRAL, some POSITIVE, a little
NEGATIVE, more for an unhappy customer (``mood``); the sentiment-collapse incident turns every customer
utterance NEGATIVE after the greeting.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

AGENT_LINES = {
    "POSITIVE": ("Happy to help with that today.", "Great, that's all sorted for you now."),
    "NEUTRAL": (
        "Thanks for calling, how can I help?",
        "Let me pull up your account.",
        "Could you confirm the date of the last payment?",
        "I'm checking that for you now.",
        "Is there anything else I can help with?",
    ),
}
CUSTOMER_LINES = {
    "POSITIVE": ("That's great, thank you.", "Perfect, that works for me.", "Thanks, that was quick."),
    "NEUTRAL": (
        "I have a question about my last bill.",
        "It was on the fourteenth, I think.",
        "Okay, I'll wait.",
        "Yes, that's the right account.",
    ),
    "NEGATIVE": (
        "This is the third time I've called about this.",
        "That's not acceptable, I was charged twice.",
        "I'm really unhappy with how this is going.",
        "I want to cancel if this isn't fixed today.",
    ),
}
CARD_LINE = "Fine, my card number is 4111 1111 1111 1111, expiry oh-eight twenty-nine."
COMPLIANCE_CATEGORY = "card-number-spoken"


@dataclass(frozen=True)
class Utterance:
    role: str  # AGENT | CUSTOMER
    begin: float  # seconds from the agent connecting
    end: float
    sentiment: str
    content: str
    category: str | None = None  # a Contact Lens category this utterance matches


def utterances(
    rng: random.Random,
    *,
    talk: float,
    hold_at: float | None,
    hold: float,
    mood: float,
    collapse: bool = False,
    card_spoken_at: float | None = None,
) -> list[Utterance]:
    """The analysed utterances of one contact (times: seconds after the agent connected)."""
    spoken: list[Utterance] = []
    at, turn, customer_turns = 2.0, 0, 0
    total = talk + hold
    card_pending = card_spoken_at is not None
    while True:
        length = rng.uniform(4.0, 12.0)
        if hold_at is not None and at < hold_at + hold and at + length > hold_at:
            at = hold_at + hold + 1.0  # nobody speaks during hold
            continue
        if at + length > total:
            return spoken
        role = "AGENT" if turn % 2 == 0 else "CUSTOMER"
        if role == "AGENT":
            sentiment = "POSITIVE" if rng.random() < 0.25 else "NEUTRAL"
            content = rng.choice(AGENT_LINES[sentiment])
            category = None
        elif card_pending and card_spoken_at is not None and at >= card_spoken_at:
            sentiment, content, category, card_pending = "NEUTRAL", CARD_LINE, COMPLIANCE_CATEGORY, False
        else:
            sentiment = _customer_sentiment(rng, mood, collapse and customer_turns >= 1)
            content = rng.choice(CUSTOMER_LINES[sentiment])
            category = None
        if role == "CUSTOMER":
            customer_turns += 1
        spoken.append(Utterance(role, round(at, 3), round(at + length, 3), sentiment, content, category))
        at += length + rng.uniform(0.5, 4.0)
        turn += 1


def _customer_sentiment(rng: random.Random, mood: float, hostile: bool) -> str:
    if hostile:
        return "NEGATIVE"
    draw = rng.random()
    if draw < 0.05 + mood:
        return "NEGATIVE"
    if draw < 0.35 + mood:
        return "NEUTRAL" if mood else "POSITIVE"
    return "NEUTRAL"


def batches(rng: random.Random, spoken: list[Utterance]) -> list[list[Utterance]]:
    """Group utterances into Contact Lens records (one record every ~20-45 s of conversation)."""
    groups: list[list[Utterance]] = []
    current: list[Utterance] = []
    window_end = rng.uniform(20.0, 45.0)
    for item in spoken:
        if current and item.end > window_end:
            groups.append(current)
            current = []
            window_end = item.end + rng.uniform(20.0, 45.0)
        current.append(item)
    if current:
        groups.append(current)
    return groups
