"""A synthetic corpus for the analytics tests: known dates, sources, words and copies.

Every article is built here, so the tests compute what the timeline and the terms must
say from :data:`ARTICLES` themselves (brute force), never from hard-coded figures.

- 10 sources (``Source 0`` .. ``Source 9``), articles from 2021-01 to 2021-06, a few undated;
- the topic word "zeppelin" (and "zeppelins") in some articles, more often in March;
- "dirigeable" and the proper noun "Hindenburg" mostly beside "zeppelin", the acronym
  "ONERA" in capitals, "aérostat" with its accent;
- one dispatch reprinted three times (a copy group) with the unique word "gondolier".
"""

from __future__ import annotations

import random

from searchsvc.article import Article

FILLER = ("maison jardin route ville marché école travail voiture bureau réunion conseil projet "
          "budget rapport semaine matin soir saison région commune habitants quartier centre "
          "service public prix hausse baisse chiffre année mois journée accord décision débat "
          "élus maire préfet police pompiers hôpital médecin patient santé climat pluie soleil "
          "vent neige froid chaleur rivière montagne forêt plage port train gare avion vol").split()


def _words(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(FILLER) for _ in range(n))


def _article(i: int, rng: random.Random, *, date, source, topic: bool, extra: str = "") -> Article:
    parts = [_words(rng, 40)]
    if topic:
        parts.append(f"Un zeppelin {rng.choice(['survole', 'traverse'])} la région, "
                     f"un dirigeable de l'ONERA selon les zeppelins Hindenburg.")
    parts.append(extra)
    parts.append(_words(rng, 30) + ".")
    return Article(id=f"art-{i:03d}", title=("Zeppelin au-dessus de la ville" if topic else
                                             f"Nouvelles du jour {i}"),
                   text="\n\n".join(p for p in parts if p), source=source, date=date, lang="fr")


def build_articles() -> list[Article]:
    rng = random.Random(1234)
    out: list[Article] = []
    i = 0
    # per month: (articles, of which about zeppelin)
    plan = {"2021-01": (12, 2), "2021-02": (10, 3), "2021-03": (14, 9), "2021-04": (8, 1),
            "2021-06": (10, 4)}
    for month, (n, topical) in plan.items():
        for k in range(n):
            day = 1 + (k * 7) % 28
            out.append(_article(i, rng, date=f"{month}-{day:02d}", source=f"Source {i % 10}",
                                topic=k < topical,
                                extra="Un aérostat passe." if k % 3 == 0 else ""))
            i += 1
    for k in range(3):  # undated, one about zeppelin
        out.append(_article(i, rng, date=None, source=f"Source {k}", topic=k == 0))
        i += 1
    dispatch = ("Un zeppelin a survolé le port ce matin, un gondolier l'a vu passer au-dessus "
                "des toits. " + _words(random.Random(7), 90))
    for k, (date, source) in enumerate([("2021-03-05", "Agence A"), ("2021-03-06", "Agence B"),
                                        ("2021-04-02", "Agence C")]):
        out.append(Article(id=f"copie-{k}", title="Le zeppelin du port", text=dispatch,
                           source=source, date=date, lang="fr"))
    return out


ARTICLES = build_articles()
COPY_IDS = {"copie-0", "copie-1", "copie-2"}


def has_topic(a: Article) -> bool:
    text = f"{a.title}\n{a.text}".lower()
    return "zeppelin" in text


def engine_over(index):
    """A SearchEngine over a fresh full build of :data:`ARTICLES` in ``index`` (copy
    groups are made by the indexer's own runs, which raw Whoosh writers skip)."""
    from searchsvc.backends.whoosh.indexer import build_index_from_articles
    from searchsvc.backends.whoosh import SearchEngine

    build_index_from_articles(index, ARTICLES)
    return SearchEngine(index)
