"""Pronouns and definite roles resolved with gender and kind (searchsvc.enrich.coref and its
use in searchsvc.enrich.quotes): the right name or none."""

from __future__ import annotations

from searchsvc.enrich import coref, quotes, speakers


def _speakers(text: str, ents: dict) -> list:
    subjects = speakers.analyse_many([(text, quotes.spans(text))], speakers.parser())[0]
    return [q["speaker"] for q in quotes.extract(text, {"person": [], "org": [], "place": [], **ents}, subjects)]


def test_a_person_s_gender_comes_from_the_words_heading_the_name():
    text = ("Mme Claire Dubois a vu le maire Paul Berthier. La décision de Jean Roux, "
            "Anne Morel, une avocate, et l'avocat de la famille Lebrun, Marc Petit.")
    mentions = [(text.index(n), text.index(n) + len(n), n)
                for n in ("Claire Dubois", "Paul Berthier", "Jean Roux", "Anne Morel", "Marc Petit")]
    got = coref.person_genders(text, mentions)
    # "la décision de Jean Roux": Roux heads no phrase; "la famille Lebrun, Marc Petit": no gender
    assert got == {"Claire Dubois": "f", "Paul Berthier": "m", "Anne Morel": "f"}


def test_a_role_s_gender_and_kind():
    assert coref.role_gender("candidate LR", "la") == "f"
    assert coref.role_gender("actrice de 30 ans", "l'") == "f"
    assert coref.role_gender("ancien président", "l'") == "m"
    assert coref.role_gender("artiste", "l'") is None
    assert coref.org_role("l'association") and not coref.org_role("la chanteuse")
    assert coref.thing("le rapport de police") and not coref.thing("le magistrat")


def test_a_pronoun_skips_the_nearest_person_of_the_other_gender():
    text = ("Mme Claire Dubois a rencontré jeudi les éleveurs de la vallée.\n\n"
            "Le maire Paul Berthier était présent aussi. « Nous ne lâcherons rien sur ce dossier », "
            "a-t-elle assuré.")
    assert _speakers(text, {"person": ["Claire Dubois", "Paul Berthier"]}) == ["Claire Dubois"]


def test_a_plural_pronoun_names_nobody_but_a_pair_named_together():
    text = ("Paul Berthier a signé une tribune avec d'autres élus.\n\n"
            "« Nous refusons cette réforme injuste et brutale », écrivent-ils.")
    assert _speakers(text, {"person": ["Paul Berthier"]}) == [None]
    text = ("Paul Berthier signe une tribune avec son secrétaire d'État Marc Petit.\n\n"
            "« Nous refusons cette réforme injuste et brutale », écrivent-ils. « Les chiffres "
            "sont têtus et nous les connaissons », ajoutent les deux hommes.")
    assert _speakers(text, {"person": ["Paul Berthier", "Marc Petit"]}) == ["Paul Berthier"] * 2


def test_a_definite_role_that_speaks_stands_for_the_person_of_the_passage():
    text = ("Lina Marsh a annulé son concert de samedi à Lyon.\n\n"
            "« Je suis épuisée et je dois absolument me reposer », a expliqué la jeune femme.")
    assert _speakers(text, {"person": ["Lina Marsh"], "place": ["Lyon"]}) == ["Lina Marsh"]


def test_a_role_of_the_other_gender_or_naming_an_entity_the_person_never_meets_names_nobody():
    text = ("M. Gilles Martin dirige la Conférence des recteurs depuis mars.\n\n"
            "« L'enjeu est ailleurs, dans la vie privée des étudiants », a déclaré le président de "
            "l'université de Rennes. « Nous attendons des réponses claires du gouvernement », a "
            "ajouté la porte-parole.")
    ents = {"person": ["Gilles Martin"], "org": ["Conférence des recteurs", "université de Rennes"]}
    assert _speakers(text, ents) == [None, None]
    # the same roles without what rules them out
    text = text.replace("M. Gilles", "Gilles").replace("de l'université de Rennes", "de la Conférence")
    assert _speakers(text, ents) == ["Gilles Martin", "Gilles Martin"]


def test_a_text_or_an_event_that_speaks_is_nobody():
    text = ("Sirou, un ami de Théo, était sur place.\n\n"
            "« L'individu se montre arrogant et refuse le contrôle », indique le rapport de police.")
    assert _speakers(text, {"person": ["Sirou", "Théo"]}) == [None]


def test_an_organisation_role_is_the_organisation_that_spoke_before():
    text = ("Les familles attendent « des mois avant la moindre réponse », selon l'Association des "
            "paralysés de France.\n\n« Les délais sont beaucoup trop longs pour les familles », "
            "regrette l'association.")
    got = _speakers(text, {"org": ["Association des paralysés de France"]})
    assert got == ["Association des paralysés de France"] * 2


def test_a_colon_introduction_gives_the_subject_not_the_last_name():
    text = ("L'ancien ministre Paul Berthier a critiqué le message de Claire Dubois : « C'est une "
            "honte absolue pour notre pays ».")
    assert _speakers(text, {"person": ["Paul Berthier", "Claire Dubois"]}) == ["Paul Berthier"]


def test_ce_dernier_is_no_role():
    text = ("La ministre Claire Dubois a reçu un rapport jeudi. Ce dernier, remis par un cabinet, "
            "conseille de « revoir entièrement la carte des hôpitaux du pays ».")
    assert _speakers(text, {"person": ["Claire Dubois"]}) == [None]


def test_a_present_participle_speaks_for_the_noun_it_follows():
    text = ("Plusieurs élus ont réagi, du député Paul Berthier saluant un « homme simple, "
            "abordable et toujours présent » à la maire Claire Dubois rappelant un « militant de "
            "toutes les causes justes ».")
    assert _speakers(text, {"person": ["Paul Berthier", "Claire Dubois"]}) == ["Paul Berthier", "Claire Dubois"]


def test_selon_qui_is_the_name_right_before_even_in_a_complement():
    text = ("La maire a répondu aux propos du député Paul Berthier, selon qui « la ville manque "
            "cruellement de logements sociaux ».")
    assert _speakers(text, {"person": ["Paul Berthier"]}) == ["Paul Berthier"]


def test_selon_a_role_or_an_institution():
    text = ("La préfecture du Var a fermé la plage jeudi. Les baignades restent interdites "
            "« jusqu'à nouvel ordre et sans exception aucune », selon la préfecture.")
    assert _speakers(text, {"org": ["préfecture du Var"]}) == ["préfecture du Var"]


def test_a_participle_after_the_quote_is_no_incise():
    text = ("La maire Claire Dubois a dénoncé une « politique injuste et brutale envers les "
            "familles », appelant les habitants à manifester samedi.")
    assert _speakers(text, {"person": ["Claire Dubois"]}) == ["Claire Dubois"]


def test_the_incise_of_a_sentence_speaks_every_quote_before_it():
    text = ("Le texte « prolonge le régime transitoire de six mois » et « permet de prendre vite "
            "des décisions adaptées », a expliqué Paul Berthier.")
    assert _speakers(text, {"person": ["Paul Berthier"]}) == ["Paul Berthier", "Paul Berthier"]


def test_a_paragraph_that_is_one_quote_follows_the_attributed_quote_before_it():
    text = ("« Nous recevons des dons de partout, y compris de l'étranger », se réjouit la "
            "présidente de l'association, Claire Dubois.\n\n"
            "« Si on savait que l'information circule, nous serions rassurés ».\n\n"
            "Le maire Paul Berthier a répondu jeudi.\n\n"
            "« Nous ne céderons rien à personne dans ce dossier ».")
    got = _speakers(text, {"person": ["Claire Dubois", "Paul Berthier"]})
    assert got == ["Claire Dubois", "Claire Dubois", None]


def test_an_intertitle_repeating_a_quote_with_another_last_word_takes_its_speaker():
    text = ("« Un crime crapuleux, mâtiné d'antisémite »\n\n"
            "« C'est un crime crapuleux, mâtiné d'antisémitisme », affirme l'avocat Paul Berthier.")
    assert _speakers(text, {"person": ["Paul Berthier"]}) == ["Paul Berthier", "Paul Berthier"]


def test_a_family_name_in_a_complement_after_the_verb_does_not_speak():
    text = ("« Ce qui compte, c'est la version spontanée », estime de son côté l'avocat de la "
            "famille Knoll, Paul Berthier, sur Europe 1.")
    got = _speakers(text, {"person": ["Mireille Knoll", "Paul Berthier"], "org": ["Europe 1"]})
    assert got == ["Paul Berthier"]


def test_a_pronoun_goes_to_the_person_a_speech_verb_introduced_not_the_sentence_s_first():
    text = ("Lina Marsh, 15 ans, a souffert de la faim, a déclaré aux journalistes Karim Saleh, "
            "chef de la police. « Il n'y a aucun soupçon d'acte criminel à ce stade », a-t-il ajouté.")
    assert _speakers(text, {"person": ["Lina Marsh", "Karim Saleh"]}) == ["Karim Saleh"]


def test_a_pronoun_after_selon_someone_unnamed_names_nobody():
    text = ("Paul Berthier a parlé jeudi. La situation est « très bonne », selon le président de "
            "l'université de Rennes. « L'enjeu est ailleurs, dans la vie privée des étudiants », "
            "a-t-il ajouté.")
    assert _speakers(text, {"person": ["Paul Berthier"], "org": ["université de Rennes"]}) == [None]


def test_a_role_first_introduced_as_someone_new_is_not_the_named_person():
    text = ("Claire Dubois s'est énervée contre une journaliste sur LCI. La journaliste a alors "
            "demandé s'il était possible de « se présenter comme la candidate du peuple ».")
    assert _speakers(text, {"person": ["Claire Dubois"], "org": ["LCI"]}) == [None]
    assert coref.person_genders("Sa disparition, a déclaré Karim Saleh.",
                                [(27, 38, "Karim Saleh")]) == {}


def test_a_role_naming_an_organisation_is_the_one_person_the_article_ties_to_it():
    text = ("« Nous savons que la crise sera longue », a prévenu le directeur général de "
            "l'Organisation mondiale de la Santé, Kofi Mensah.\n\nLe texte continue ici.\n\n"
            "Un dernier paragraphe sans nom.\n\nLe chef de l'Organisation mondiale de la Santé a "
            "appelé à se préparer « à d'autres pandémies dans n'importe quel pays ».")
    got = _speakers(text, {"person": ["Kofi Mensah"], "org": ["Organisation mondiale de la Santé"]})
    assert got == ["Kofi Mensah", "Kofi Mensah"]


def test_a_speech_verb_after_the_rest_of_the_sentence_names_the_speaker():
    text = ("« Il y a eu des cas dans tous les établissements, en amont » de la rentrée, a affirmé "
            "jeudi après-midi Paul Berthier, à la tête de la conférence.")
    assert _speakers(text, {"person": ["Paul Berthier"]}) == ["Paul Berthier"]
    text = ("Le ministre Paul Berthier a riposté jeudi. « Il s'est trompé en 2012 sur la lecture de "
            "l'attentat » a t-il affirmé.")
    assert _speakers(text, {"person": ["Paul Berthier"]}) == ["Paul Berthier"]


def test_a_demonym_after_a_lower_case_article_is_nobody_s_name():
    text = "« Jéricho va devenir une enclave », s'alarme le Palestinien en inspectant ses dattiers."
    assert _speakers(text, {"place": ["Jéricho"]}) == [None]


def test_an_organisation_subject_of_a_verb_that_says_nothing_is_not_the_speaker():
    text = ("Le rapport de Paul Berthier a été remis jeudi. La SNCF devrait également pouvoir "
            "« recourir pendant deux ans à des plans de départs volontaires ».")
    assert _speakers(text, {"person": ["Paul Berthier"], "org": ["SNCF"]}) == [None]


def test_any_present_participle_right_after_a_name_introduces_its_words():
    text = ("Le parti s'est fendu d'un tweet, le député Paul Berthier rendant « hommage à son "
            "engagement pour notre territoire ».")
    assert _speakers(text, {"person": ["Paul Berthier"]}) == ["Paul Berthier"]


def test_a_pronoun_subject_of_a_verb_that_says_nothing_is_not_the_speaker():
    text = ("Claire Dubois est connue. Elle a souvent été décrite comme « une femme de tête et de "
            "conviction ».")
    assert _speakers(text, {"person": ["Claire Dubois"]}) == [None]


def test_a_name_the_model_missed_after_a_role_and_a_relative_after_par():
    text = ("Des affirmations réfutées par le juge Ahmad Karimi qui a déclaré que « selon le "
            "rapport médical, il n'y a pas de traces de torture ».")
    assert _speakers(text, {}) == ["Ahmad Karimi"]


def test_selon_elle_is_a_pronoun():
    text = ("M. Paul Berthier dirige l'atelier et Mme Claire Dubois y enseigne.\n\n"
            "« Les gens viennent à nos cours pour apprendre la miniature », selon elle.")
    assert _speakers(text, {"person": ["Paul Berthier", "Claire Dubois"]}) == ["Claire Dubois"]


def test_selon_a_medium_reporting_a_person_s_words_leaves_them_to_the_person():
    text = ("Le président Paul Berthier a également souligné que le partenariat impliquait « un "
            "front commun contre les menaces des forces hostiles », selon la BBC.")
    assert _speakers(text, {"person": ["Paul Berthier"], "org": ["BBC"]}) == ["Paul Berthier"]


def test_a_pronoun_in_the_quote_s_sentence_is_the_person_nearest_before_it():
    text = ("Plusieurs élus l'ont soutenue, comme Claire Dubois et jusqu'au ministre de l'Intérieur Paul "
            "Berthier : « quels que soient nos désaccords, je condamne ces menaces », a-t-il "
            "réagi sur Twitter.")
    got = _speakers(text, {"person": ["Claire Dubois", "Paul Berthier"], "org": ["Twitter"]})
    assert got == ["Paul Berthier"]


def test_an_incise_without_subject_after_a_relative_gives_the_sentence_s_subject():
    text = ("Claire Dubois, qui échange avec Paul Berthier comme « avec beaucoup d'autres élus "
            "de tous bords », a expliqué : « Je l'ai toujours alerté sur ce risque ».")
    assert _speakers(text, {"person": ["Claire Dubois", "Paul Berthier"]})[0] == "Claire Dubois"


def test_an_organisation_in_a_complement_does_not_stop_a_continued_quote():
    text = ("« C'est un très grand républicain, un homme généreux », a réagi auprès de l'AFP Paul "
            "Berthier. « Nous avions des relations excellentes même si nous étions opposés ».")
    got = _speakers(text, {"person": ["Paul Berthier"], "org": ["AFP"]})
    assert got == ["Paul Berthier", "Paul Berthier"]


def test_pour_x_opening_the_sentence_speaks_its_quotes():
    text = ("Pour Human Rights Watch, les procès présentent de « graves lacunes, dont la torture "
            "des accusés » et Paris ne devrait pas confier ses ressortissants « à des systèmes "
            "judiciaires abusifs ».")
    assert _speakers(text, {"org": ["Human Rights Watch"], "place": ["Paris"]}) == ["Human Rights Watch"] * 2


def test_who_judges_after_a_text_or_an_event_is_the_person_it_belongs_to():
    text = ("Interrogé sur les attaques de Paul Berthier, qui juge que « le gouvernement ne fait "
            "pas tout pour lutter contre le terrorisme », le ministre a riposté.")
    assert _speakers(text, {"person": ["Paul Berthier"]}) == ["Paul Berthier"]
    text = ("« Si on retombe dans la pandémie, ce sera terrible pour tous », considère un proche "
            "de Paul Berthier, qui prévient qu'« il n'y aura pas de place pour la nuance ».")
    assert _speakers(text, {"person": ["Paul Berthier"]}) == [None, None]


def test_il_read_as_an_expletive_before_a_speech_verb_is_the_subject():
    text = ("Originaire de Roubaix, Paul Berthier était apparu dans une vidéo. Il y disait son "
            "« grand plaisir de voir ces gens souffrir » et menaçait : « on continuera à frapper "
            "chez vous ».")
    assert _speakers(text, {"person": ["Paul Berthier"], "place": ["Roubaix"]}) == ["Paul Berthier"] * 2


def test_a_colon_says_the_subject_speaks():
    text = ("Marie Lenoir était en meeting jeudi.\n\nInterrogée sur son équipe, la dirigeante s'est "
            "fait un plaisir de donner une leçon à son interlocutrice : « Je vais vous conseiller un "
            "truc, ce sera mieux ».")
    assert _speakers(text, {"person": ["Marie Lenoir"]}) == ["Marie Lenoir"]


def test_a_sentence_opening_with_a_participle_speaks_through_the_subject_after_the_quote():
    text = ("Marie Lenoir a donné un entretien au Figaro.\n\nSoulignant que « les violences n'ont "
            "jamais cessé depuis 2017 », la maire du 7e arrondissement s'est inquiétée.")
    assert _speakers(text, {"person": ["Marie Lenoir"], "org": ["Figaro"]}) == ["Marie Lenoir"]


def test_comme_le_precise_x_and_selon_in_the_next_sentence():
    text = ("Des alertes ont été lancées. Comme le précise le service communication de la "
            "Préfecture maritime, « il s'agissait surtout de ruptures d'amarres ». Selon le "
            "Télégramme, trois bateaux ont coulé.")
    got = _speakers(text, {"org": ["Préfecture maritime", "Télégramme"]})
    assert got == ["Préfecture maritime"]


def test_the_person_a_speech_verb_follows_speaks_a_quote_under_another_subject():
    text = ("Une porte-parole du parti, la députée Claire Dubois, s'est pour sa part félicitée "
            "que le président du parti ait « pu répondre à toutes les questions concrètement ».")
    assert _speakers(text, {"person": ["Claire Dubois"]}) == ["Claire Dubois"]


def test_a_name_right_before_a_speech_verb_and_que_and_inverted_plural_pronouns():
    text = ("Les Français s'attendent à un rebond et le « monsieur déconfinement » du gouvernement, "
            "Paul Berthier, a expliqué qu'« un reconfinement en urgence devait être évité ».")
    assert _speakers(text, {"person": ["Paul Berthier"]}) == ["Paul Berthier"]
    text = ("Paul Berthier signe une tribune avec son secrétaire d'État Marc Petit.\n\n"
            "Les forces de l'ordre « ont déjoué trente attentats depuis 2017 », expliquent-ils.")
    assert _speakers(text, {"person": ["Paul Berthier", "Marc Petit"]}) == ["Paul Berthier"]


def test_selon_ending_the_sentence_speaks_its_quotes():
    text = ("La préfecture du Var a fermé le campus. Le site reste accessible aux personnels "
            "chargés d'assurer « la continuité administrative de l'établissement », afin "
            "d'« enrayer au plus vite la chaîne de transmission », selon la préfecture. Les "
            "cours reprendront lundi.")
    assert _speakers(text, {"org": ["préfecture du Var"]}) == ["préfecture du Var"] * 2
