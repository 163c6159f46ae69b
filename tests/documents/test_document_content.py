"""What the documents say, read back from the PDFs' text."""

from __future__ import annotations

import re

import pytest
from coopflow.documents import RenderedDocument, Renderer

from tests.documents import samples
from tests.documents.pdfcheck import page_texts, raw_page_texts

NNBSP = "\u202f"

PROTOCOL_ARTICLES = [
    "Article 1 – Objet",
    "Article 2 – Axes de coopération",
    "Article 3 – Engagements des Parties",
    "Article 4 – Gouvernance",
    "Article 5 – Programme de travail annuel",
    "Article 6 – Moyens",
    "Article 7 – Suivi et évaluation",
    "Article 8 – Durée et prise d'effet",
    "Article 9 – Modification par avenant",
    "Article 10 – Résiliation",
    "Article 11 – Litiges",
]


def _in_order(text: str, parts: list[str]) -> None:
    """Each part occurs in ``text``, after the previous one."""
    position = 0
    for part in parts:
        found = text.find(part, position)
        assert found >= 0, f"{part!r} not found after position {position}"
        position = found + len(part)


def test_protocol_title_names_the_years_and_the_parties(protocol_doc: RenderedDocument) -> None:
    assert protocol_doc.title == (
        "Protocole de coopération 2027-2029 entre Bordeaux Métropole, la Ville de Bordeaux "
        "et La Cali"
    )
    assert protocol_doc.template_name == "protocole.html.j2"


def test_protocol_parties_block(protocol_pages: list[str]) -> None:
    first = protocol_pages[0]
    assert first.startswith("Protocole de coopération 2027-2029")
    _in_order(
        first,
        [
            "Entre :",
            "Bordeaux Métropole, représentée par sa Présidente, Madame Hélène LAGARDE, autorisée "
            "par délibération n° 2027-123 en date du 15 mars 2027,",
            "La Ville de Bordeaux, représentée par son Maire, Monsieur Étienne MOREAU-BÉRAUD, "
            "autorisé par délibération n° D-2027/045 en date du 22 mars 2027,",
            "La Communauté d'agglomération du Libournais, ci-après « La Cali », représentée par "
            "son Président, Monsieur Jean-Marc DUBREUIL, autorisé par délibération "
            "n° 2027.04.031 en date du 1er avril 2027,",
            "ci-après collectivement désignées « les Parties ».",
        ],
    )


def test_protocol_visas(protocol_pages: list[str]) -> None:
    _in_order(
        " ".join(protocol_pages),
        [
            "Vu le code général des collectivités territoriales, notamment ses articles "
            "L. 1111-9 et suivants relatifs aux compétences partagées ;",
            "Vu le code général des collectivités territoriales, notamment ses articles "
            "L. 5217-1 et suivants relatifs aux métropoles ;",
            "Vu la délibération n° 2027-123 du conseil métropolitain de Bordeaux Métropole en "
            "date du 15 mars 2027 ;",
            "Vu la délibération n° D-2027/045 du conseil municipal de la Ville de Bordeaux en "
            "date du 22 mars 2027 ;",
            "Vu la délibération n° 2027.04.031 du conseil communautaire de la Communauté "
            "d'agglomération du Libournais en date du 1er avril 2027 ;",
            "Vu l'avenant n° 1 signé le 12 juin 2028 ;",
            "Préambule",
            "Il est convenu ce qui suit :",
        ],
    )


def test_protocol_articles_in_order_and_no_section_sign(protocol_pages: list[str]) -> None:
    text = " ".join(protocol_pages)
    _in_order(text, PROTOCOL_ARTICLES)
    for article in PROTOCOL_ARTICLES:
        assert text.count(article) == 1
    assert "§" not in text
    _in_order(
        text,
        [
            "2.1 Axe 1 : Accueil des habitants et mobilités",
            "2.2 Axe 2 : Développement économique et touristique",
            "2.3 Axe 3 : Circuits courts et ressources locales",
            "3.1 Engagements de Bordeaux Métropole",
            "3.2 Engagements de la Ville de Bordeaux",
            "3.3 Engagements de la Communauté d'agglomération du Libournais",
            "4.1 Comité de pilotage",
            "4.2 Comité technique",
        ],
    )


def test_protocol_body(protocol_pages: list[str]) -> None:
    text = " ".join(protocol_pages)
    assert "Mobilités du quotidien : Près de 12 000 actifs" in text
    assert "Au titre de l'axe 3 (Circuits courts et ressources locales)" in text
    # The governance says it once: the data's text, not the template's default as well.
    assert "coprésidé par la Présidente de Bordeaux Métropole et le Président de La Cali" in text
    assert "se réunit au moins" not in text
    assert "pour la période courant du 1er janvier 2027 au 31 décembre 2029" in text
    assert "pour un motif d'intérêt général" in text
    assert "préavis de trois mois" in text
    assert "solution amiable" in text
    assert "devant le tribunal administratif de Bordeaux, que les Parties désignent" in text
    assert "article R. 312-11 du code de justice administrative" in text
    assert "Télérecours citoyens" in text
    assert "Le présent protocole n'a pas d'incidence financière propre." in text
    assert "engagements financiers" not in text
    # Not a foreign authority: it takes effect on signature, no language or law clause.
    assert "prend effet à la date de sa signature par la dernière des Parties" in text
    assert "Langues" not in text and "Droit applicable" not in text


def test_protocol_signature_blocks(protocol_pages: list[str]) -> None:
    last = protocol_pages[-1]
    _in_order(
        last,
        [
            "Fait à Libourne, le 3 mai 2027, en trois exemplaires originaux.",
            "Pour Bordeaux Métropole,",
            "La Présidente,",
            "Hélène LAGARDE",
        ],
    )
    for expected in (
        "Pour la Ville de Bordeaux,",
        "Le Maire,",
        "Étienne MOREAU-BÉRAUD",
        "Pour la Communauté d'agglomération du Libournais,",
        "Le Président,",
        "Jean-Marc DUBREUIL",
    ):
        assert expected in last


def test_every_page_has_its_number_and_the_reference(all_docs: dict[str, RenderedDocument]) -> None:
    footers = {
        "protocole": "COOP-2027-0001 – protocole – version 3",
        "projet": "COOP-2027-0001 – protocole – version 1",
        "avenant": "COOP-2027-0001 – avenant n° 1 – version 2",
        "programme": "COOP-2027-0001 – programme 2027-2028 – version 2",
    }
    for name, document in all_docs.items():
        pages = page_texts(document.pdf)
        assert len(pages) > 1, name
        for number, text in enumerate(pages, start=1):
            assert f"Page {number} sur {len(pages)}" in text, (name, number)
            assert footers[name] in text, (name, number)


def test_draft_carries_the_projet_mark_on_every_page(draft_pages: list[str]) -> None:
    for number, text in enumerate(draft_pages, start=1):
        assert "PROJET" in text, number


@pytest.mark.parametrize("name", ["protocole", "avenant", "programme"])
def test_final_documents_carry_no_projet_mark(
    name: str, all_docs: dict[str, RenderedDocument]
) -> None:
    for text in page_texts(all_docs[name].pdf):
        assert "PROJET" not in text


def test_draft_prints_visible_blanks_for_what_is_not_known_yet(draft_pages: list[str]) -> None:
    first = draft_pages[0]
    blank = "…………………"
    assert (
        f"Bordeaux Métropole, représentée par sa Présidente, {blank}, autorisée par délibération "
        f"n° {blank} en date du {blank}," in first
    )
    assert f"Vu la délibération n° {blank} du conseil municipal de la Ville de Bordeaux" in first
    assert "Vu l'avenant" not in first
    last = draft_pages[-1]
    assert f"Fait à {blank}, le {blank}, en trois exemplaires originaux." in last
    assert "La Présidente," in last and "Le Président," in last


def test_avenant(avenant_doc: RenderedDocument, avenant_pages: list[str]) -> None:
    assert avenant_doc.title.startswith("Avenant n°\u00a01 au protocole de coopération 2027-2029")
    text = " ".join(avenant_pages)
    _in_order(
        text,
        [
            "Avenant n° 1",
            "au protocole de coopération 2027-2029 entre Bordeaux Métropole, la Ville de "
            "Bordeaux et La Cali",
            "Bordeaux Métropole, représentée par sa Présidente, Madame Hélène LAGARDE, autorisée "
            "par délibération n° 2028-517 en date du 26 mai 2028,",
            "ci-après collectivement désignées « les Parties ».",
            "Vu le code général des collectivités territoriales, notamment ses articles "
            "L. 1111-9 et suivants relatifs aux compétences partagées ;",
            "signé le 3 mai 2027 ;",
            "Vu la délibération n° 2028-517 du conseil métropolitain de Bordeaux Métropole",
            "Vu la délibération n° 2028.06.007 du conseil communautaire",
            "Article 1 – Objet",
            "l'ajout d'un objectif relatif aux mobilités actives à l'axe 1.",
            "Article 2",
            "L'article 2 du protocole est complété par un alinéa ainsi rédigé :",
            "« Au titre de l'axe 1, les Parties poursuivent également l'objectif suivant",
            "Article 3",
            "L'article 7 du protocole est ainsi rédigé :",
            "« Le comité de pilotage examine chaque année",
            "L'évaluation à mi-parcours est conduite au premier semestre 2028. »",
            "Article 4",
            "Il est inséré, après l'article 4 du protocole, un article 4-1 ainsi rédigé :",
            "« Article 4-1 – Référents techniques",
            "Article 5 – Autres stipulations",
            "Les autres stipulations du protocole demeurent inchangées.",
            "Article 6 – Prise d'effet",
            "Fait à Bordeaux, le 12 juin 2028",
            "Jean-Marc DUBREUIL",
        ],
    )
    assert "2027-123" not in text  # the protocol's own délibérations are not the avenant's


def test_programme_cover_and_summary(programme_pages: list[str]) -> None:
    cover = programme_pages[0]
    for expected in (
        "Coopération Bordeaux Métropole – Libournais",
        "Programme de travail annuel 2027-2028",
        "Période du 1er mars 2027 au 29 février 2028",
        "Programme approuvé par le comité de pilotage du 12 février 2027",
        "Référence COOP-2027-0001",
    ):
        assert expected in cover
    summary = programme_pages[1]
    assert "Axe 1 : Accueil des habitants et mobilités 2 2 144 567,50 €" in summary
    assert "Total 6 2 508 067,75 €" in summary


def test_programme_one_sheet_per_action(programme_pages: list[str]) -> None:
    sheets = [page for page in programme_pages if page.startswith("Fiche action")]
    assert [int(re.match(r"Fiche action (\d+)", page)[1]) for page in sheets] == [  # type: ignore[index]
        1,
        2,
        3,
        4,
        5,
        6,
    ]
    first = sheets[0]
    _in_order(
        first,
        [
            "Fiche action 1 – Renforcer la desserte ferroviaire Libourne–Bordeaux",
            "Axe 1 : Accueil des habitants et mobilités",
            "Pilote Bordeaux Métropole",
            "Responsable Claire Dumas, chargée de coopération territoriale – "
            "c.dumas@bordeaux-metropole.fr",
            "Service Direction des mobilités, Bordeaux Métropole",
            "Partenaires Région Nouvelle-Aquitaine, SNCF Voyageurs",
            "État d'avancement en cours",
            "Objectifs",
            "1er mars 2027 Lancement de l'étude",  # milestones sorted by date
            "15 juin 2027 Étude de fréquentation remise",
            "10 janvier 2028 Présentation au comité de pilotage",
            "Bordeaux Métropole 1 234 567,50 €",
            "Région Nouvelle-Aquitaine (prévisionnel) 850 000,00 €",
            "Total 2 084 567,50 €",
            "Allers-retours supplémentaires trains/jour 2 1",
            "Fréquentation voyageurs/jour 12 500 –",
        ],
    )
    assert "Pilote non désigné" in sheets[5]
    assert "Taux de remplissage % 72,5 –" in sheets[2]


def test_programme_amounts_use_narrow_no_break_spaces(programme_doc: RenderedDocument) -> None:
    raw = " ".join(raw_page_texts(programme_doc.pdf))
    assert f"1{NNBSP}234{NNBSP}567,50\u00a0€" in raw
    assert "1 234 567,50" not in raw
    assert "1234567" not in raw


def test_programme_consolidated_budget_and_calendar(programme_pages: list[str]) -> None:
    text = " ".join(programme_pages)
    _in_order(
        text,
        [
            "Budget consolidé par financeur et par axe",
            "Financeur Axe 1 Axe 2 Axe 3 Total",
            "Bordeaux Métropole 1 234 567,50 € 68 000,00 € 0,00 € 1 302 567,50 €",
            "Région Nouvelle-Aquitaine (prévisionnel) 850 000,00 € 0,00 € 40 000,00 € 890 000,00 €",
            "FEDER (prévisionnel) 0,00 € 75 500,25 € 0,00 € 75 500,25 €",
            "Total 2 144 567,50 € 203 500,25 € 160 000,00 € 2 508 067,75 €",
            "Calendrier",
            "1er mars 2027",
            "1er avril 2027 5 – Approvisionnement local des cantines Recensement des producteurs",
            "1er mai 2027",
            "15 juin 2027",
            "1er septembre 2027 2 – Guichet commun",
            "1er septembre 2027 5 – Approvisionnement local des cantines Premier marché attribué",
            "5 octobre 2027",
            "10 janvier 2028",
            "12 février 2028 3 – Destination œnotouristique commune Présentation au salon",
        ],
    )


def test_programme_not_yet_approved(renderer: Renderer) -> None:
    html = renderer.render_html(samples.programme(status="projet"))
    assert "Programme non encore approuvé par le comité de pilotage" in html
    assert "approuvé par le comité de pilotage du" not in html
    assert page_texts(
        renderer.render(samples.programme(status="projet"), produced_at=samples.MOMENT).pdf
    )[0].count("PROJET")


def test_planned_financial_commitments_are_each_partys(renderer: Renderer) -> None:
    snapshot = samples.protocol()
    snapshot["financial_commitments"] = [
        {"party_key": "bordeaux-metropole", "amount": "75000.00", "detail": "25 000 € par an"},
        {"party_key": "la-cali", "amount": "30000.00", "detail": ""},
    ]
    snapshot["financial_note"] = "Les actions sont financées par des conventions particulières."
    text = " ".join(page_texts(renderer.render(snapshot, produced_at=samples.MOMENT).pdf))
    assert "Le montant prévisionnel des engagements financiers de chacune des Parties" in text
    _in_order(
        text,
        [
            "Bordeaux Métropole 75 000,00 € 25 000 € par an",
            "La Communauté d'agglomération du Libournais 30 000,00 €",
            "Total 105 000,00 €",
            "sous réserve du vote des crédits correspondants",
            "Les actions sont financées par des conventions particulières.",
        ],
    )


def test_html_is_french_and_escaped(renderer: Renderer) -> None:
    html = renderer.render_html(samples.protocol())
    assert html.startswith('<!DOCTYPE html>\n<html lang="fr">')
    assert "<title>Protocole de coopération 2027-2029 entre Bordeaux Métropole" in html
    assert "Communauté d&#39;agglomération du Libournais" in html
