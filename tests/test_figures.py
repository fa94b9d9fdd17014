"""Figures tell stories apart (searchsvc.enrich.figures): daily bulletins written from one
template, every figure different, are one copy group each; a reprint stays a copy."""

from __future__ import annotations

import random

import numpy as np

from copymaker import outlet_copy
from searchsvc.enrich import copies, figures
from test_copies import groups, write_article

from searchsvc.backends.whoosh.indexer import reindex

TEMPLATE = [
    "La pandémie du nouveau coronavirus a fait au moins {} morts dans le monde depuis que le bureau "
    "de l'OMS en Chine a fait état de l'apparition de la maladie fin décembre, selon un bilan établi "
    "par l'AFP à partir de sources officielles {} à {}h00 GMT.",
    "Plus de {} cas d'infection ont été officiellement diagnostiqués depuis le début de l'épidémie, "
    "dont au moins {} sont aujourd'hui considérés comme guéris.",
    "Ce nombre de cas diagnostiqués ne reflète toutefois qu'une fraction du nombre réel de "
    "contaminations. Certains pays ne testent que les cas graves, d'autres utilisent les tests en "
    "priorité pour le traçage et nombre de pays pauvres ne disposent que de capacités de dépistage limitées.",
    "Sur la journée de la veille, {} nouveaux décès et {} nouveaux cas ont été recensés dans le monde. "
    "Les pays qui ont enregistré le plus de nouveaux décès sont l'Inde avec {} nouveaux morts, "
    "le Brésil ({}) et les États-Unis ({}).",
    "Les États-Unis sont le pays le plus touché tant en nombre de morts que de cas, avec {} décès "
    "pour {} cas recensés. Au moins {} personnes ont été déclarées guéries.",
]
DAYS = ("samedi", "dimanche", "lundi", "mardi", "mercredi")


def bulletin(day: int) -> list[str]:
    rng = random.Random(day)

    def big():
        return f"{rng.randrange(100, 999)}.{rng.randrange(100, 999)}"

    values = iter([big(), DAYS[day], str(11 + day), big(), big(), f"{rng.randrange(2, 9)}.{rng.randrange(100, 999)}",
                   big(), f"1.{rng.randrange(100, 999)}", str(rng.randrange(300, 900)), str(rng.randrange(100, 299)),
                   big(), big(), big()])
    return [p.format(*[next(values) for _ in range(p.count("{}"))])
            for p in TEMPLATE]


def test_numbers_are_read_whatever_their_separators():
    assert figures.numbers("au moins 461.665 morts, 28 300 cas, 28,300 tests, à 19h00 le 12 mai 2020") \
        == {"461665", "28300", "19", "00", "12", "2020"}
    assert figures.sketch("aucun chiffre ici")[0] == 0


def test_shared_figures_are_exact_below_k_and_estimated_above():
    a = " ".join(str(n) for n in range(1000, 1020))
    b = " ".join(str(n) for n in range(1010, 1030))
    assert figures.shared(figures.sketch(a)[None], figures.sketch(b)[None])[0] == 10
    big_a = " ".join(str(n) for n in range(1000, 1400))
    big_b = " ".join(str(n) for n in range(1200, 1600))  # 200 of 400 shared
    est = figures.shared(figures.sketch(big_a)[None], figures.sketch(big_b)[None])[0]
    assert 120 <= est <= 300
    assert not figures.different(figures.sketch(big_a)[None], figures.sketch(big_a)[None])[0]


def test_bulletins_from_one_template_are_different_stories_and_a_reprint_is_a_copy(tmp_path):
    texts = {f"bilan{d}": "\n\n".join(bulletin(d)) for d in range(5)}
    texts["reprise"] = outlet_copy(bulletin(2), dateline="Paris, 12 mai 2020 (AFP) - ", trailer="Avec AFP")
    ids = sorted(texts)
    rows = [copies.signature(texts[i]) for i in ids]
    sigs, sizes = np.array([r[0] for r in rows]), np.array([r[1] for r in rows])
    dates = [f"2020-09-0{k + 1}" for k in range(len(ids))]
    # by their words alone, all six are one group: the figures are what tells them apart
    assert len(set(copies.assign_groups(ids, dates, sigs, sizes))) == 1

    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    for k, (name, text) in enumerate(sorted(texts.items())):
        write_article(corpus, name, text, source="AFP", date=f"2020-09-{10 + k:02d}",
                      title="Le bilan de la pandémie de Covid-19 dans le monde")
    reindex(corpus, index, full=True, workers=1)
    g = groups(index)
    assert g["reprise"] == g["bilan2"] == "bilan2"
    assert len({g[f"bilan{d}"] for d in range(5)}) == 5
