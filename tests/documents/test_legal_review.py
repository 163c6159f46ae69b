"""The defects a service juridique sent back, one test each, read from the PDFs' text: a
decentralised cooperation with a foreign authority (CGCT L.1115-1), the visas, the avenant's
changes and the consolidated protocol, the designation of signatories, the governance, the
court, the préambule and the parties' articles."""

from __future__ import annotations

import copy
import re

import pytest
from coopflow.documents import Renderer
from coopflow.documents.snapshot import ConsolidatedSnapshot, PartySnapshot, ProtocolSnapshot
from coopflow.errors import ValidationError

from tests.documents import samples
from tests.documents.pdfcheck import page_texts

PORTO: PartySnapshot = {
    "key": "porto",
    "official_name": "Municipalité de Porto",
    "usual_name": "Porto",
    "nature": "ETRANGER",
    "nature_label": "autorité locale étrangère",
    "siren": None,
    "seat": "Porto (Portugal)",
    "deliberative_body": "Assemblée municipale",
    "executive_title": "Président de la Chambre municipale",
    "executive_civility": "Monsieur",
    "article": "la",
    "usual_article": "",
    "tribunal": None,
    "country": "Portugal",
    "language": "portugais",
    "original_name": "Município do Porto",
    "original_executive_title": "Presidente da Câmara Municipal",
    "original_deliberative_body": "Assembleia Municipal",
    "is_home": False,
    "is_lead": False,
}
FOREIGN_VISA = (
    "Vu le code général des collectivités territoriales, notamment ses articles L.\u00a01111-9, "
    "L.\u00a01115-1 et suivants et L.\u00a05217-1 et suivants\u202f;"
)


def text_of(renderer: Renderer, snapshot: object) -> str:
    document = renderer.render(snapshot, produced_at=samples.MOMENT)  # type: ignore[arg-type]
    return " ".join(page_texts(document.pdf))


def foreign_protocol() -> ProtocolSnapshot:
    """The sample protocol, between Bordeaux Métropole and the Municipalité de Porto."""
    snapshot = samples.protocol()
    snapshot["parties"] = [copy.deepcopy(samples.BORDEAUX_METROPOLE), copy.deepcopy(PORTO)]
    snapshot["visas"] = [FOREIGN_VISA]
    for axis in snapshot["axes"]:
        axis["commitments"] = [
            c for c in axis["commitments"] if c["party_key"] == "bordeaux-metropole"
        ] + [{"party_key": "porto", "text": "Accueillir une mission technique."}]
    snapshot["deliberations"] = [
        d for d in snapshot["deliberations"] if d["party_key"] == "bordeaux-metropole"
    ] + [
        {
            "party_key": "porto",
            "amendment": 0,
            "number": "AM-2027-12",
            "sitting_date": "2027-03-29",
            "sent_to_prefecture": None,
            "published": None,
            "executoire": False,
        }
    ]
    snapshot["signatories"] = [
        s for s in snapshot["signatories"] if s["party_key"] == "bordeaux-metropole"
    ] + [
        {
            "party_key": "porto",
            "civility": "Monsieur",
            "first_name": "Rui",
            "last_name": "Teixeira",
            "title": "Président de la Chambre municipale",
            "delegation": None,
        }
    ]
    snapshot["financial_commitments"] = [
        {"party_key": "bordeaux-metropole", "amount": "90000.00", "detail": "30 000 € par an"},
        {"party_key": "porto", "amount": "75000.00", "detail": "25 000 € par an"},
    ]
    snapshot["amendments"] = []
    return snapshot


# ----------------------------------------------------------------------------- 1. L.1115-1


@pytest.fixture(scope="module")
def foreign_text(renderer: Renderer) -> str:
    return text_of(renderer, foreign_protocol())


def test_a_foreign_authority_is_its_legal_person_designated_in_french(foreign_text: str) -> None:
    assert (
        "La Municipalité de Porto (Município do Porto, Portugal), ci-après « Porto », "
        "représentée par son Président de la Chambre municipale (Presidente da Câmara "
        "Municipal), Monsieur Rui TEIXEIRA, autorisé par décision de l'Assemblée municipale "
        "(Assembleia Municipal) en date du 29 mars 2027," in foreign_text
    )
    assert "Câmara Municipal do Porto" not in foreign_text
    assert "sa Presidente" not in foreign_text


def test_the_visas_cite_l1115_1_and_the_foreign_decision(foreign_text: str) -> None:
    assert (
        "Vu le code général des collectivités territoriales, notamment ses articles L. 1111-9, "
        "L. 1115-1 et suivants et L. 5217-1 et suivants ;" in foreign_text
    )
    # Porto's approval is a decision of its own body, not a délibération sent to a prefecture.
    assert (
        "Vu la décision de l'Assemblée municipale (Assembleia Municipal) de la Municipalité de "
        "Porto en date du 29 mars 2027 ;" in foreign_text
    )
    assert "AM-2027-12" not in foreign_text


def test_a_foreign_cooperation_enters_into_force_on_transmission(foreign_text: str) -> None:
    assert "Article 8 – Durée et entrée en vigueur" in foreign_text
    assert (
        "Conformément à l'article L. 1115-1 du code général des collectivités territoriales, il "
        "entre en vigueur dès sa transmission au représentant de l'État par Bordeaux Métropole"
        in foreign_text
    )
    assert "prend effet à la date de sa signature" not in foreign_text


def test_a_foreign_cooperation_has_language_and_law_clauses(foreign_text: str) -> None:
    assert "Article 11 – Langues" in foreign_text
    assert "Le présent protocole est établi en français et en portugais." in foreign_text
    assert "la version en français prévaut" in foreign_text
    assert "Article 12 – Droit applicable" in foreign_text
    assert "Le présent protocole est régi par le droit français." in foreign_text
    assert "engagements internationaux de la France" in foreign_text
    assert "en quatre exemplaires originaux, deux en français et deux en portugais." in (
        foreign_text
    )


def test_the_dispute_clause_suits_two_legal_orders(foreign_text: str) -> None:
    clause = foreign_text.split("Article 13 – Règlement des différends", 1)[1]
    assert clause.index("solution amiable") < clause.index("médiation")
    assert "juridiction compétente selon les règles applicables au litige" in clause
    # The French tribunal is named only for what falls to the French administrative courts.
    assert (
        "Lorsque le litige relève de la juridiction administrative française, il est porté "
        "devant le tribunal administratif de Bordeaux" in clause
    )


def test_every_partys_planned_financial_commitment_is_stated(foreign_text: str) -> None:
    assert "Article 6 – Moyens et engagements financiers" in foreign_text
    assert "Bordeaux Métropole 90 000,00 € 30 000 € par an" in foreign_text
    assert "La Municipalité de Porto 75 000,00 € 25 000 € par an" in foreign_text
    assert "Total 165 000,00 €" in foreign_text
    assert "un engagement équivalent" not in foreign_text


# ----------------------------------------------------------------------------- 3. avenants


def consolidated() -> ConsolidatedSnapshot:
    snapshot = samples.protocol()
    body = {k: v for k, v in snapshot.items() if k != "kind"}
    result: ConsolidatedSnapshot = {**body, "kind": "consolide", "through": 1}  # type: ignore[typeddict-item]
    return result


def test_the_consolidated_protocol_is_the_text_as_amended(renderer: Renderer) -> None:
    text = text_of(renderer, consolidated())
    assert "Version consolidée" in text
    assert "tel que modifié par l'avenant n° 1 signé le 12 juin 2028" in text
    article_7 = text.split("Article 7 – Suivi et évaluation", 1)[1].split("Article 8", 1)[0]
    # Rewritten: the new text only, with a note of the avenant.
    assert "L'évaluation à mi-parcours est conduite au premier semestre 2028." in article_7
    assert "présentée au comité de pilotage" not in article_7
    assert "[Modifié par l'avenant n° 1 signé le 12 juin 2028.]" in article_7
    # Inserted after article 4, before article 5.
    assert text.index("Article 4 – Gouvernance") < text.index("Article 4-1 – Référents techniques")
    assert text.index("Article 4-1 –") < text.index("Article 5 – Programme de travail annuel")
    assert "[Inséré par l'avenant n° 1 signé le 12 juin 2028.]" in text
    # Completed: the paragraph at the end of article 2.
    article_2 = text.split("Article 2 – Axes", 1)[1].split("Article 3 –", 1)[0]
    assert article_2.rstrip().endswith("[Modifié par l'avenant n° 1 signé le 12 juin 2028.]")
    assert "développer les itinéraires cyclables" in article_2
    # A reading copy: no signature blocks, the signatures recalled.
    assert "Pour Bordeaux Métropole," not in text
    assert "Protocole signé à Libourne, le 3 mai 2027 ; avenant n° 1 signé le 12 juin 2028." in text


def test_a_repealed_article_reads_so_in_the_consolidated_protocol(renderer: Renderer) -> None:
    snapshot = consolidated()
    snapshot["amendments"][0]["changes"].append(
        {"operation": "abroger", "article": "6", "new_article": None, "title": None, "text": None}
    )
    text = text_of(renderer, snapshot)
    assert "Article 6 – (abrogé) [Abrogé par l'avenant n° 1 signé le 12 juin 2028.]" in text
    assert "n'a pas d'incidence financière propre" not in text


def test_an_avenant_aiming_at_an_article_the_protocol_lacks_is_refused(
    renderer: Renderer,
) -> None:
    snapshot = samples.avenant()
    snapshot["amendment"]["changes"][0]["article"] = "12"
    with pytest.raises(ValidationError, match="no article 12") as refused:
        renderer.render(snapshot, produced_at=samples.MOMENT)
    assert refused.value.field == "amendment.changes[0].article"


def test_an_avenant_repeals_in_the_words_of_french_drafting(renderer: Renderer) -> None:
    snapshot = samples.avenant()
    snapshot["amendment"]["changes"] = [
        {"operation": "abroger", "article": "6", "new_article": None, "title": None, "text": None}
    ]
    text = text_of(renderer, snapshot)
    assert "Article 2 L'article 6 du protocole est abrogé. Article 3 – Autres stipulations" in text
    assert "Exposé des motifs" in text
    assert "le bilan de la première année de coopération" in text.lower()


# ----------------------------------------------------------------------------- 5. signatories


def test_designations_agree_with_the_persons_civility(renderer: Renderer) -> None:
    snapshot = samples.protocol()
    mayor = next(s for s in snapshot["signatories"] if s["party_key"] == "ville-de-bordeaux")
    mayor.update(civility="Madame", first_name="Hélène", last_name="Darrieux")
    text = text_of(renderer, snapshot)
    assert (
        "La Ville de Bordeaux, représentée par sa Maire, Madame Hélène DARRIEUX, autorisée par "
        "délibération" in text
    )
    closing = text.split("Fait à", 1)[1]
    assert "Pour la Ville de Bordeaux, La Maire, Hélène DARRIEUX" in closing


@pytest.mark.parametrize("name", ["protocole", "projet", "avenant", "programme"])
def test_no_document_prints_an_undecided_agreement(name: str, all_docs: dict) -> None:  # type: ignore[type-arg]
    text = " ".join(page_texts(all_docs[name].pdf))
    assert not re.search(r"\w\(e\)", text)


def test_a_signature_by_delegation_cites_its_arrete(renderer: Renderer) -> None:
    snapshot = samples.protocol()
    president = snapshot["signatories"][0]
    president.update(
        civility="Monsieur",
        first_name="Alain",
        last_name="Dubois",
        title="Vice-président",
        delegation={"number": "2027-A-015", "date": "2027-01-12"},
    )
    text = text_of(renderer, snapshot)
    assert (
        "Bordeaux Métropole, représentée par son Vice-président, Monsieur Alain DUBOIS, agissant "
        "par délégation de la Présidente en vertu de l'arrêté n° 2027-A-015 du 12 janvier 2027, "
        "autorisé par délibération n° 2027-123" in text
    )
    closing = text.split("Fait à", 1)[1]
    assert (
        "Pour Bordeaux Métropole, Pour la Présidente et par délégation, le Vice-président, "
        "Alain DUBOIS" in closing
    )


# ----------------------------------------------------------------------------- 6, 7, 8, 9


def test_the_governance_prints_the_default_only_without_the_datas_text(
    renderer: Renderer,
) -> None:
    snapshot = samples.protocol()
    snapshot["governance"]["copil"] = ""
    text = text_of(renderer, snapshot)
    copil = text.split("4.1 Comité de pilotage", 1)[1].split("4.2 Comité technique", 1)[0]
    assert "Il se réunit au moins deux fois par an" in copil
    assert copil.count("se réunit") == 1
    cotech = text.split("4.2 Comité technique", 1)[1].split("Article 5", 1)[0]
    assert "Le comité technique réunit les référents techniques des Parties, sous" in cotech
    assert "Il prépare les travaux" not in cotech


def test_without_a_court_the_dispute_clause_leaves_a_visible_blank(renderer: Renderer) -> None:
    snapshot = samples.protocol()
    snapshot["parties"][0]["tribunal"] = None
    text = text_of(renderer, snapshot)
    assert "le différend est porté devant le tribunal administratif de …………………" in text


def test_a_protocol_without_preambule_shows_the_gap(renderer: Renderer) -> None:
    snapshot = samples.draft_protocol()
    snapshot["preamble"] = []
    text = text_of(renderer, snapshot)
    assert "Préambule ………………… Il est convenu ce qui suit" in text


def test_titles_name_each_party_with_its_article(renderer: Renderer) -> None:
    snapshot = samples.protocol()
    retz = snapshot["parties"][2]
    retz.update(
        official_name="Pôle d'équilibre territorial et rural du Pays de Retz",
        usual_name="PETR du Pays de Retz",
        nature="PETR",
        article="le",
        usual_article="le",
    )
    document = renderer.render(snapshot, produced_at=samples.MOMENT)
    assert document.title.endswith("la Ville de Bordeaux et le PETR du Pays de Retz")
    text = " ".join(page_texts(document.pdf))
    assert "entre Bordeaux Métropole, la Ville de Bordeaux et le PETR du Pays de Retz" in text
    assert "Le Pôle d'équilibre territorial et rural du Pays de Retz, ci-après" in text
    assert "3.3 Engagements du Pôle d'équilibre territorial" in text


def test_a_delegation_from_an_executive_whose_civility_nobody_gave(renderer: Renderer) -> None:
    snapshot = samples.protocol()
    city = snapshot["parties"][1]
    city["executive_civility"] = None  # "Maire": either gender
    mayor = snapshot["signatories"][1]
    mayor.update(title="Adjointe au maire", civility="Madame",
                 delegation={"number": "A-7", "date": "2027-01-10"})  # fmt: skip
    text = text_of(renderer, snapshot)
    assert "agissant par délégation du Maire en vertu de l'arrêté n° A-7" in text
    assert "Pour le Maire et par délégation, l'Adjointe au maire," in text
    assert "de maire" not in text


def test_the_termination_clause_states_the_protocols_notice(renderer: Renderer) -> None:
    default = text_of(renderer, samples.protocol())
    assert "moyennant un préavis de trois mois" in re.sub(r"\s+", " ", default)
    snapshot = samples.protocol()
    snapshot["notice_months"] = 6
    six = re.sub(r"\s+", " ", text_of(renderer, snapshot))
    assert "moyennant un préavis de six mois" in six
    assert "préavis de trois mois" not in six
    snapshot["notice_months"] = 0
    with pytest.raises(ValidationError, match="not 1 to 12 months") as refused:
        renderer.render(snapshot, produced_at=samples.MOMENT)
    assert refused.value.field == "notice_months"
