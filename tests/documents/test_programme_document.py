"""The annual work programme as the legal department reviewed it, read back from the PDF.

Consolidated indicators, the calendar as a Gantt chart (a tagged Figure, the milestone table
kept), non-party funders' amounts marked "prévisionnel" with the reserve on the vote of credits,
the protocol's signature date on the cover, the pilot as a person, and no heading left without
its content (an empty "Objectifs", a heading at the foot of a page).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from html.parser import HTMLParser

import pikepdf
import pytest
from coopflow.documents import ProgrammeSnapshot, RenderedDocument, Renderer
from coopflow.documents._programme import day_in_france
from coopflow.errors import ValidationError
from markupsafe import escape

from tests.documents import samples
from tests.documents.pdfcheck import open_pdf, page_texts, squeeze

#: A moment while the sample programme (1 March 2027 – 29 February 2028) is in progress.
IN_PERIOD = dt.datetime(2027, 9, 15, 8, 30, tzinfo=dt.UTC)
RESERVE = (
    "Les montants inscrits au titre des Parties le sont sous réserve du vote des crédits "
    "correspondants par leurs assemblées délibérantes, lors de l'adoption de leurs budgets "
    "annuels ; ceux des financeurs qui ne sont pas parties au protocole sont prévisionnels et ne "
    "les engagent pas."
)
PARTY_FUNDERS = ("Bordeaux Métropole", "Ville de Bordeaux", "La Cali")
OTHER_FUNDERS = ("Région Nouvelle-Aquitaine", "FEDER")


def _in_order(text: str, parts: list[str], *, squeezed: bool = False) -> None:
    """Each part occurs in ``text``, after the previous one (whatever the line breaks, with
    ``squeezed``: table cells break lines at en dashes and slashes)."""
    if squeezed:
        text, parts = squeeze(text), [squeeze(part) for part in parts]
    position = 0
    for part in parts:
        found = text.find(part, position)
        assert found >= 0, f"{part!r} not found after position {position}"
        position = found + len(part)


@pytest.fixture(scope="module")
def running_doc(renderer: Renderer) -> RenderedDocument:
    """The sample programme, in progress, produced on 15 September 2027."""
    return renderer.render(samples.programme(), produced_at=IN_PERIOD)


@pytest.fixture(scope="module")
def running_pages(running_doc: RenderedDocument) -> list[str]:
    return page_texts(running_doc.pdf)


def _sheets(pages: list[str]) -> dict[int, str]:
    """Each action sheet's text (with the pages it runs over), by action number."""
    sheets: dict[int, str] = {}
    current = None
    for page in pages:
        match = re.match(r"Fiche action (\d+)", page)
        if match:
            current = int(match[1])
            sheets[current] = page
        elif current is not None and not page.startswith(("Budget consolidé", "Indicateurs")):
            sheets[current] += " " + page
        else:
            current = None
    return sheets


def _section(pages: list[str], heading: str) -> str:
    """The text of the pages from the one starting with ``heading`` to the next section."""
    text = " ".join(pages)
    start = text.index(heading)
    return text[start:]


# --- 1. Consolidated indicators -------------------------------------------------------------


def test_every_indicator_of_every_action_in_one_table_with_its_rate(
    running_pages: list[str],
) -> None:
    text = _section(running_pages, "Indicateurs de suivi consolidés")
    _in_order(
        text,
        [
            "Indicateurs de suivi consolidés",
            "Action Indicateur Unité Cible Réalisé Taux de réalisation",
            "Axe 1 : Accueil des habitants et mobilités",
            "1 – Renforcer la desserte ferroviaire Libourne–Bordeaux Allers-retours "
            "supplémentaires trains/jour 2 1 50 %",
            "1 – Renforcer la desserte ferroviaire Libourne–Bordeaux Fréquentation "
            "voyageurs/jour 12 500 – –",
            "2 – Guichet commun d'accueil des nouveaux habitants Ménages accueillis ménages "
            "300 112 37,3 %",
            "Axe 2 : Développement économique et touristique",
            "3 – Destination œnotouristique commune Circuits publiés circuits 3 3 100 %",
            "3 – Destination œnotouristique commune Taux de remplissage % 72,5 – –",
            "4 – Réseau des zones d'activités Rencontres organisées réunions 4 1 25 %",
            "Axe 3 : Circuits courts et ressources locales",
            "5 – Approvisionnement local des cantines Part de produits durables et de qualité "
            "% 50 38,5 77 %",
            "6 – Plateforme logistique des circuits courts Aucun indicateur n'est défini.",
            "Calendrier",
        ],
        squeezed=True,
    )


def test_indicator_rates_use_french_numbers_with_a_narrow_space_before_percent(
    renderer: Renderer,
) -> None:
    snapshot = samples.programme()
    snapshot["actions"][0]["indicators"] = [
        {"name": "Voyageurs", "unit": "voyageurs", "target": "12000", "actual": "18500"},
        {"name": "Sans cible", "unit": "", "target": "0", "actual": "4"},
    ]
    html = renderer.render_html(snapshot, produced_at=IN_PERIOD)
    # 18 500 / 12 000 = 154,166... %, to one decimal; a zero target has no rate.
    assert '<td class="number">154,2&#x202F;%</td>' in html
    assert "18\u202f500" in html
    text = squeeze(" ".join(page_texts(renderer.render(snapshot, produced_at=IN_PERIOD).pdf)))
    assert squeeze("Sans cible 0 4 –") in text
    assert squeeze("Voyageurs voyageurs 12 000 18 500 154,2 %") in text


# --- 2. The calendar as a Gantt chart ---------------------------------------------------------


def _figures(document: pikepdf.Pdf) -> list[tuple[int, str | None]]:
    """Every Figure of the structure tree: its page (from 1) and its alternate text."""
    pages = {page.obj.objgen: number for number, page in enumerate(document.pages, start=1)}
    found: list[tuple[int, str | None]] = []
    pending = list(document.Root.StructTreeRoot.K)
    while pending:
        element = pending.pop()
        if not isinstance(element, pikepdf.Dictionary) or "/S" not in element:
            continue
        if element.S == "/Figure":
            alt = element.get("/Alt")
            found.append((pages[element.Pg.objgen], None if alt is None else str(alt)))
        kids = element.get("/K")
        if isinstance(kids, pikepdf.Array):
            pending.extend(kids)
        elif isinstance(kids, pikepdf.Dictionary):
            pending.append(kids)
    return found


def test_the_calendar_is_a_gantt_figure_with_alternate_text_and_keeps_its_table(
    running_doc: RenderedDocument, running_pages: list[str]
) -> None:
    with open_pdf(running_doc.pdf) as pdf:
        figures = _figures(pdf)
    assert len(figures) == 1
    ((page, alt),) = figures
    assert alt is not None
    assert alt.startswith("Diagramme de Gantt du calendrier, de mars 2027 à février 2028")
    assert "6 actions" in alt and "9 jalons" in alt
    calendar = running_pages[page - 1]
    assert calendar.startswith("Calendrier")
    # The chart's own labels are text of the page (Coopflow Sans, tagged inside the Figure).
    for label in ("Action 1 – Renforcer", "mars", "janv.", "2027", "2028", "aucun jalon défini"):
        assert label in calendar, label
    # The milestones are also in a table, for whoever cannot read the chart.
    text = " ".join(running_pages[page - 1 :])
    _in_order(
        text,
        [
            "Date Action Jalon",
            "1er mars 2027 1 – Renforcer la desserte ferroviaire Libourne–Bordeaux "
            "Lancement de l'étude",
            "12 février 2028 3 – Destination œnotouristique commune Présentation au salon",
        ],
        squeezed=True,
    )


def test_today_s_line_only_on_a_programme_in_progress_produced_during_its_period(
    renderer: Renderer,
) -> None:
    running = renderer.render_html(samples.programme(), produced_at=IN_PERIOD)
    assert running.count('class="today"') == 1
    assert 'data-date="2027-09-15"' in running
    assert escape("date d'édition du document (15\u00a0septembre\u00a02027)") in running

    after = renderer.render_html(
        samples.programme(), produced_at=dt.datetime(2028, 3, 2, tzinfo=dt.UTC)
    )
    draft = renderer.render_html(samples.programme(status="projet"), produced_at=IN_PERIOD)
    closed = samples.programme()
    closed["state"], closed["in_progress"] = "cloture", False
    for html in (after, draft, renderer.render_html(closed, produced_at=IN_PERIOD)):
        assert "<svg" in html
        assert 'class="today"' not in html
        assert escape("date d'édition du document") not in html


def test_today_is_the_date_in_france_when_the_document_is_produced(renderer: Renderer) -> None:
    # 29 February 2028, 23:30 UTC is already 1 March in Bordeaux: after the period.
    late = dt.datetime(2028, 2, 29, 23, 30, tzinfo=dt.UTC)
    assert 'class="today"' not in renderer.render_html(samples.programme(), produced_at=late)
    # 28 February 2027, 23:30 UTC is 1 March in Bordeaux: the period's first day.
    early = dt.datetime(2027, 2, 28, 23, 30, tzinfo=dt.UTC)
    html = renderer.render_html(samples.programme(), produced_at=early)
    assert 'data-date="2027-03-01"' in html and 'class="today"' in html


def test_the_day_in_france_follows_the_summer_time_rules() -> None:
    paris = pytest.importorskip("zoneinfo").ZoneInfo("Europe/Paris")
    moment = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    while moment.year < 2031:  # every half hour of five years, both changes of time included
        assert day_in_france(moment) == moment.astimezone(paris).date(), moment
        moment += dt.timedelta(minutes=30)
    # Summer time: 22:30 UTC is already the next day; winter time: not until 23:00.
    assert day_in_france(dt.datetime(2027, 7, 1, 22, 30, tzinfo=dt.UTC)) == dt.date(2027, 7, 2)
    assert day_in_france(dt.datetime(2027, 12, 1, 22, 30, tzinfo=dt.UTC)) == dt.date(2027, 12, 1)


# --- 3. Non-party funders: "prévisionnel", and the reserve on the vote of credits -------------


def test_non_party_amounts_are_marked_previsionnel_and_party_ones_are_not(
    running_pages: list[str],
) -> None:
    text = " ".join(running_pages)
    for name in PARTY_FUNDERS:
        assert f"{name} (prévisionnel)" not in text, name
    sheets = _sheets(running_pages)
    assert "Région Nouvelle-Aquitaine (prévisionnel) 850 000,00 €" in sheets[1]
    assert "Bordeaux Métropole 1 234 567,50 € Région" in sheets[1]
    assert "FEDER (prévisionnel) 75 500,25 €" in sheets[3]
    assert "La Cali 60 000,00 € Bordeaux Métropole 60 000,00 € FEDER" in sheets[3]
    assert "Région Nouvelle-Aquitaine (prévisionnel) 40 000,00 €" in sheets[5]
    assert "(prévisionnel)" not in sheets[2] + sheets[4] + sheets[6]
    consolidated = _section(running_pages, "Budget consolidé par financeur et par axe")
    _in_order(
        consolidated,
        [
            "Bordeaux Métropole 1 234 567,50 € 68 000,00 €",
            "Région Nouvelle-Aquitaine (prévisionnel) 850 000,00 € 0,00 € 40 000,00 €",
            "FEDER (prévisionnel) 0,00 € 75 500,25 €",
        ],
    )
    # Three action lines and two consolidated rows, nothing else.
    assert text.count("(prévisionnel)") == 5


def test_the_reserve_on_the_vote_of_credits_is_stated_once_under_the_budget(
    running_pages: list[str],
) -> None:
    text = squeeze(" ".join(running_pages))
    assert text.count(squeeze(RESERVE)) == 1
    consolidated = squeeze(_section(running_pages, "Budget consolidé par financeur et par axe"))
    assert consolidated.index(squeeze("Total 2 144 567,50 €")) < consolidated.index(
        squeeze(RESERVE)
    )


def test_with_parties_only_the_reserve_names_only_the_parties(renderer: Renderer) -> None:
    snapshot = samples.programme()
    for action in snapshot["actions"]:
        action["budget"] = [line for line in action["budget"] if line["party"]]
    text = squeeze(" ".join(page_texts(renderer.render(snapshot, produced_at=IN_PERIOD).pdf)))
    assert "(prévisionnel)" not in text
    assert (
        squeeze(
            "Les montants inscrits au titre des Parties le sont sous réserve du vote des crédits "
            "correspondants par leurs assemblées délibérantes, lors de l'adoption de leurs budgets "
            "annuels."
        )
        in text
    )
    assert squeeze("ceux des financeurs qui ne sont pas parties") not in text


# --- 4. The protocol's signature date on the cover ---------------------------------------------


def test_the_cover_gives_the_protocol_s_signature_date(running_pages: list[str]) -> None:
    assert "Protocole de coopération 2027-2029, signé le 15 janvier 2027" in running_pages[0]


def test_the_cover_of_a_programme_whose_protocol_is_not_signed_says_so(
    renderer: Renderer,
) -> None:
    snapshot = samples.programme(status="projet")
    snapshot["protocol_signed_on"] = None
    cover = page_texts(renderer.render(snapshot, produced_at=IN_PERIOD).pdf)[0]
    assert "Protocole de coopération 2027-2029, non encore signé" in cover
    assert "signé le" not in cover


def test_a_malformed_signature_date_is_refused_by_name(renderer: Renderer) -> None:
    snapshot = samples.programme()
    snapshot["protocol_signed_on"] = "15/01/2027"
    with pytest.raises(ValidationError, match="protocol_signed_on"):
        renderer.render_html(snapshot, produced_at=IN_PERIOD)


# --- 5. The pilot as a person -----------------------------------------------------------------


def test_each_action_sheet_names_its_pilot_party_person_and_service(
    running_pages: list[str],
) -> None:
    sheets = _sheets(running_pages)
    _in_order(
        sheets[1],
        [
            "Pilote Bordeaux Métropole",
            "Responsable Claire Dumas, chargée de coopération territoriale – "
            "c.dumas@bordeaux-metropole.fr",
            "Service Direction des mobilités, Bordeaux Métropole",
            "Partenaires Région Nouvelle-Aquitaine, SNCF Voyageurs",
        ],
    )
    # No e-mail: nothing after the function.
    assert "Responsable Marc Peyrelongue, directeur de l'attractivité Service" in sheets[2]
    # A lead party, but neither person nor service.
    assert "Pilote La Cali Responsable non désigné Service non précisé" in sheets[3]
    assert "Responsable Paul Lacoste, développeur économique – p.lacoste@" in sheets[4]
    # Nobody at all.
    assert "Pilote non désigné Responsable non désigné Service non précisé" in sheets[6]


# --- 6. No heading without its content --------------------------------------------------------


class _Blocks(HTMLParser):
    """The block-level start tags and the section ends of a document, in order."""

    BLOCKS = frozenset({"h1", "h2", "h3", "h4", "p", "table", "ul", "div", "svg"})

    def __init__(self) -> None:
        super().__init__()
        self.events: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.BLOCKS:
            self.events.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("section", "body"):
            self.events.append(f"/{tag}")


def _headings_without_content(html: str) -> list[int]:
    parser = _Blocks()
    parser.feed(html)
    events = parser.events
    return [
        index
        for index, event in enumerate(events)
        if event in ("h2", "h3")
        and (index + 1 == len(events) or events[index + 1] in ("h2", "h3", "/section", "/body"))
    ]


def test_an_action_without_objectives_has_no_empty_objectives_heading(
    renderer: Renderer,
) -> None:
    snapshot = samples.programme()
    snapshot["actions"][5]["objectives"] = "  \n\n "
    html = renderer.render_html(snapshot, produced_at=IN_PERIOD)
    assert _headings_without_content(html) == []
    sheets = _sheets(page_texts(renderer.render(snapshot, produced_at=IN_PERIOD).pdf))
    assert "Objectifs Aucun objectif n'est précisé. Calendrier et jalons" in sheets[6]
    assert "Aucun objectif n'est précisé." not in sheets[1]


def test_an_action_sheet_with_nothing_planned_still_renders(renderer: Renderer) -> None:
    snapshot = samples.programme()
    bare = snapshot["actions"][0]
    bare["objectives"] = ""
    bare["milestones"] = []
    bare["budget"] = []
    bare["indicators"] = []
    bare["partners"] = []
    bare["pilot"] = None
    bare["contact"] = None
    bare["lead_party_key"] = None
    document = renderer.render(snapshot, produced_at=IN_PERIOD)
    sheet = _sheets(page_texts(document.pdf))[1]
    _in_order(
        sheet,
        [
            "Fiche action 1 – Renforcer la desserte ferroviaire Libourne–Bordeaux",
            "Pilote non désigné Responsable non désigné Service non précisé",
            "Partenaires aucun",
            "Objectifs Aucun objectif n'est précisé.",
            "Calendrier et jalons Aucun jalon n'est défini.",
            "Budget prévisionnel Cette action ne mobilise pas de budget spécifique.",
            "Indicateurs de suivi Aucun indicateur n'est défini.",
        ],
    )
    html = renderer.render_html(snapshot, produced_at=IN_PERIOD)
    assert _headings_without_content(html) == []


def _stress_programme() -> ProgrammeSnapshot:
    """Forty action sheets whose objectives grow a line at a time: every heading of a sheet
    falls, on one sheet or another, at each height of the page."""
    snapshot = samples.programme()
    template = snapshot["actions"][0]
    actions = []
    for number in range(1, 41):
        action = samples.as_plain(template)
        action["number"] = number
        action["objectives"] = " ".join(["Objectif opérationnel à préciser."] * (3 * number))
        actions.append(action)
    snapshot["actions"] = actions  # type: ignore[typeddict-item]
    return snapshot


def _last_blocks(document: pikepdf.Pdf) -> list[str]:
    """The structure type of the last block of each page, in page order."""
    pages = {page.obj.objgen: number for number, page in enumerate(document.pages)}
    last = [""] * len(document.pages)
    blocks = {"/H1", "/H2", "/H3", "/H4", "/P", "/Table", "/TR", "/L", "/LI", "/Figure"}

    def walk(element: pikepdf.Object) -> None:
        if not isinstance(element, pikepdf.Dictionary) or "/S" not in element:
            return
        if str(element.S) in blocks and "/Pg" in element:
            last[pages[element.Pg.objgen]] = str(element.S)
        kids = element.get("/K")
        if isinstance(kids, pikepdf.Array):
            for kid in kids:
                walk(kid)
        elif isinstance(kids, pikepdf.Dictionary):
            walk(kids)

    for top in document.Root.StructTreeRoot.K:
        walk(top)
    return last


@pytest.mark.parametrize("make", [_stress_programme, samples.programme])
def test_no_heading_is_left_alone_at_the_foot_of_a_page(
    renderer: Renderer, make: Callable[[], ProgrammeSnapshot]
) -> None:
    document = renderer.render(make(), produced_at=IN_PERIOD)
    with open_pdf(document.pdf) as pdf:
        last = _last_blocks(pdf)
    alone = [number + 1 for number, kind in enumerate(last) if kind in ("/H2", "/H3")]
    assert alone == [], f"pages ending with a heading: {alone}"
