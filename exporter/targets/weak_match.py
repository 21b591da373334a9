"""The demo's weak-match line, measured at export time on the export's own model and corpus.

A query's best cosine to the corpus is never zero: the nearest passage of an unrelated query ("quarterly revenue
fell" against Python's documentation) still scores about 0.3. The line is where those unrelated queries end:
``weak_below`` = the 90th percentile of the best score of OFF_TOPIC (short everyday queries from 12 domains, 5
each) against the corpus. The 90th percentile, not the maximum, so that one domain the corpus happens to cover
(5 of 60 probes) cannot raise the line into real matches. The related side, reported next to it: "pseudo-queries"
(6 consecutive words of a passage), whose best score is mostly their own passage's (an optimistic stand-in for
real questions). Both distributions go into demo/corpus.json with the line, and the page marks every result below
it as weak (and says nothing close was found when the best one is).
"""

from __future__ import annotations

import numpy as np

QUANTILE = 0.90
WINDOW = 6  # words of a pseudo-query
MAX_RELATED = 300  # pseudo-queries (one per passage, evenly spread over the corpus)

OFF_TOPIC = (
    # finance
    "quarterly revenue fell", "the stock market closed higher today", "how to lower my mortgage payments",
    "inflation and interest rates this year", "tax return deadline for small businesses",
    # cooking
    "easy recipe for banana bread", "how long to boil an egg", "best way to season a cast iron pan",
    "vegetarian lasagna with spinach", "how to make sourdough starter",
    # sports
    "who won the football match last night", "marathon training plan for beginners", "tennis serve technique",
    "the team signed a new goalkeeper", "basketball playoff schedule",
    # weather
    "will it rain tomorrow afternoon", "heat wave warning for the weekend", "snow storm closes highways",
    "hurricane season forecast", "foggy morning on the coast",
    # health
    "symptoms of the common cold", "how much sleep do adults need", "knee pain after running",
    "benefits of drinking green tea", "vaccination schedule for children",
    # travel
    "cheap flights to Lisbon in May", "things to see in Kyoto", "hotel near the train station",
    "lost my passport abroad", "packing list for a beach holiday",
    # music
    "guitar chords for a love song", "the orchestra played Beethoven's ninth", "best jazz albums of the sixties",
    "how to tune a violin", "concert tickets sold out in minutes",
    # gardening
    "when to plant tomato seedlings", "roses with yellow leaves", "how to get rid of aphids",
    "mowing the lawn in autumn", "growing basil on a windowsill",
    # cars
    "my car battery is dead", "how often to change engine oil", "electric cars with the longest range",
    "winter tires or all season tires", "strange noise when braking",
    # animals
    "why does my cat scratch the sofa", "training a puppy to sit", "feeding ducks in the park",
    "whales migrate south in winter", "the dog barks at night",
    # fashion and shopping
    "red dress for a wedding", "return policy for online orders", "running shoes on sale",
    "how to iron a shirt", "wool sweater shrank in the wash",
    # news and politics
    "election results in the capital", "the minister resigned after the scandal", "parliament passed the budget",
    "protesters gathered in the square", "the mayor opened a new bridge",
)


def pseudo_queries(passages: list[str], limit: int = MAX_RELATED) -> list[str]:
    """One query-like text per passage (at most LIMIT, evenly spread): WINDOW words from its middle."""
    step = max(1, -(-len(passages) // limit))
    out = []
    for text in passages[::step]:
        words = text.split()
        start = max(0, (len(words) - WINDOW) // 2)
        out.append(" ".join(words[start : start + WINDOW]))
    return [q for q in out if q]


def best_scores(queries: np.ndarray, corpus: np.ndarray) -> np.ndarray:
    """Each query's best cosine to the corpus rows, as the page computes it: dot(q, row) / |q| (rows as stored)."""
    q = np.asarray(queries, dtype=np.float64)
    n = np.linalg.norm(q, axis=1)
    scores = (q @ np.asarray(corpus, dtype=np.float64).T) / np.where(n > 0, n, 1)[:, None]
    return np.where(n > 0, scores.max(axis=1), 0.0)


def _summary(x: np.ndarray) -> dict:
    qs = np.quantile(x, [0.1, 0.5, 0.9]) if x.size else [float("nan")] * 3
    return {"n": int(x.size), "p10": round(float(qs[0]), 4), "p50": round(float(qs[1]), 4),
            "p90": round(float(qs[2]), 4), "max": round(float(x.max()), 4) if x.size else None}


def calibrate(off_topic: np.ndarray, related: np.ndarray) -> dict:
    """The weak-match line from the best scores of the unrelated and the related probes, with both summaries."""
    line = float(np.quantile(off_topic, QUANTILE))
    return {
        "weak_below": round(line, 4),
        "quantile": QUANTILE,
        "rule": f"the {QUANTILE:.0%} quantile of the best score of {off_topic.size} unrelated everyday queries "
                f"(edgembed's OFF_TOPIC) against this corpus",
        "unrelated": _summary(off_topic),
        "related": {**_summary(related), "below_line": round(float((related < line).mean()), 4) if related.size else None,
                    "what": f"{WINDOW} consecutive words from the middle of a passage, one per passage"},
    }
