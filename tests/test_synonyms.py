"""searchsvc.synonyms: the default list and the user's file."""

from __future__ import annotations

from searchsvc.synonyms import DEFAULT_PATH, load_synonyms, words_key


def test_default_groups_hold_the_required_equivalents():
    syn = load_synonyms()
    assert {"Poutine", "Putin"} <= set(syn.equivalents("putin"))
    assert {"Choïgou", "Choïgu", "Shoigu"} <= set(syn.equivalents("Shoigu"))
    assert "Nations unies" in syn.equivalents("ONU")
    assert "République populaire démocratique de Corée" in syn.equivalents("RPDC")
    assert "IAEA" in syn.equivalents("AIEA")
    assert syn.sources == [str(DEFAULT_PATH)]


def test_match_is_longest_first_accent_and_elision_insensitive():
    syn = load_synonyms()
    words = "les sanctions de la republique populaire democratique de coree et l'ONU".split()
    n, group = syn.match(words, 4)
    assert n == 5 and "RPDC" in group
    assert syn.match(words, 0) is None
    n, group = syn.match(words, len(words) - 1)
    assert n == 1 and "Nations unies" in group
    assert syn.match(["Choigou"], 0)[1] == syn.equivalents("Choïgu")


def test_user_file_extends_and_merges(tmp_path):
    f = tmp_path / "syn.txt"
    f.write_bytes("\ufeff# commentaire\nDaech ; État islamique | EI\n\nPoutine, Poutin\nseul\n".encode("utf-8"))
    syn = load_synonyms(f)
    assert syn.equivalents("EI") == ("Daech", "État islamique", "EI")
    assert {"Poutine", "Putin", "Poutin"} <= set(syn.equivalents("Poutin"))
    assert len(syn) == len(load_synonyms()) + 1  # merged, not duplicated; "seul" ignored
    assert str(f) in syn.sources


def test_words_key():
    assert words_key("L’Agence internationale de l'énergie atomique") == (
        "agence", "internationale", "de", "energie", "atomique")
