"""What the legal review asked of the data behind the documents: each refusal says what is
wrong and writes nothing; each attack with the database's own login is named by verify.

The moment a document is produced, the articles an avenant aims at, the visas of the home
organisation, the parties' articles, civilities and courts, signatures by delegation, the
préambule, planned financial commitments, the pilot as a person."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import json
from pathlib import Path

import pikepdf
import pytest
from coopflow import Coopflow, GuardFailed
from coopflow.documents import Renderer
from coopflow.errors import NotFoundError, TemplateError, ValidationError
from sqlalchemy import text

from tests import scenario
from tests.scenario import ELECTED, STAFF


def _journal_length(cf: Coopflow, ref: str) -> int:
    return len(cf.history(ref))


# ----------------------------------------------------------------------------- dates


def test_a_document_carries_the_moment_it_was_produced_and_re_renders_identically(
    cf: Coopflow,
) -> None:
    ref = scenario.in_legal_review(cf)
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    info = cf.render(ref, actor=STAFF)  # nothing changed: the stored draft
    (doc,) = [d for d in cf.documents_of(ref) if d.kind == "protocole"]
    assert info.sha256 == doc.sha256
    assert doc.created_at.microsecond == 0 and doc.created_at <= before + dt.timedelta(seconds=1)
    pdf = cf.document_bytes(doc.sha256)
    with pikepdf.open(io.BytesIO(pdf)) as opened:
        assert str(opened.docinfo.CreationDate) == doc.created_at.strftime("D:%Y%m%d%H%M%SZ")
    # Not a date of the data: the protocol's period starts in 2027.
    assert doc.created_at.year == dt.date.today().year
    snapshot = json.loads(cf.snapshot(ref))
    snapshot["document_version"], snapshot["status"] = 1, "projet"
    again = Renderer().render(snapshot, produced_at=doc.created_at)
    assert again.sha256 == doc.sha256


# ----------------------------------------------------------------------------- avenants


@pytest.fixture
def amending(cf: Coopflow) -> str:
    ref = scenario.signed(cf)
    cf.fire(ref, "proposer_avenant", STAFF, data={"objet": "la gouvernance"})
    return ref


def test_a_change_aimed_at_an_article_the_protocol_lacks_is_refused(
    cf: Coopflow, amending: str
) -> None:
    length = _journal_length(cf, amending)
    with pytest.raises(ValidationError, match="no article 12") as refused:
        cf.add_amendment_change(amending, "rediger", 12, text="Texte.", actor=STAFF)
    assert refused.value.field == "article"
    assert "(its articles: 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)" in refused.value.message
    with pytest.raises(ValidationError, match="not an article number"):
        cf.add_amendment_change(amending, "rediger", "7 bis", text="Texte.", actor=STAFF)
    with pytest.raises(ValidationError, match="operation"):
        cf.add_amendment_change(amending, "modifier", 7, text="Texte.", actor=STAFF)
    with pytest.raises(ValidationError, match="needs a title"):
        cf.add_amendment_change(amending, "inserer", 4, text="Texte.", actor=STAFF)
    with pytest.raises(ValidationError, match="writes no text"):
        cf.add_amendment_change(amending, "abroger", 6, text="Texte.", actor=STAFF)
    assert _journal_length(cf, amending) == length  # nothing written


def test_changes_follow_one_another_and_a_repealed_article_is_gone(
    cf: Coopflow, amending: str
) -> None:
    cf.add_amendment_change(amending, "inserer", 4, title="Référents", text="A.", actor=STAFF)
    # After 4 when 4-1 exists is after 4-1: the wording says where the article goes.
    cf.add_amendment_change(
        amending, "inserer", "article 4", title="Comité", text="B.", actor=STAFF
    )
    # An avenant changes an article once, and none it inserts.
    for aimed in ("4-1", "4-2"):
        with pytest.raises(ValidationError, match=f"already changes article {aimed}"):
            cf.add_amendment_change(amending, "completer", aimed, text="C.", actor=STAFF)
    cf.add_amendment_change(amending, "rediger", 7, text="D.", actor=STAFF)
    with pytest.raises(ValidationError, match="already changes article 7"):
        cf.add_amendment_change(amending, "completer", 7, text="E.", actor=STAFF)
    cf.add_amendment_change(amending, "abroger", 6, actor=STAFF)
    cf.add_amendment_change(amending, "abroger", 6, actor=STAFF)  # the same again: no-op
    snapshot = json.loads(cf.snapshot(amending, "avenant", subject="1"))
    changes = snapshot["amendment"]["changes"]
    assert [(c["operation"], c["article"], c["new_article"]) for c in changes] == [
        ("inserer", "4", "4-1"),
        ("inserer", "4-1", "4-2"),
        ("rediger", "7", None),
        ("abroger", "6", None),
    ]
    # Without the first insertion, the second one is 4-1, after article 4.
    cf.remove_amendment_change(amending, 1, actor=STAFF)
    snapshot = json.loads(cf.snapshot(amending, "avenant", subject="1"))
    changes = snapshot["amendment"]["changes"]
    assert [(c["operation"], c["article"], c["new_article"], c["title"]) for c in changes] == [
        ("inserer", "4", "4-1", "Comité"),
        ("rediger", "7", None, None),
        ("abroger", "6", None, None),
    ]
    with pytest.raises(ValidationError, match="4 is out of range") as refused:
        cf.remove_amendment_change(amending, 4, actor=STAFF)
    assert refused.value.field == "number"


def test_a_later_avenant_cannot_aim_at_what_an_earlier_one_repealed(cf: Coopflow) -> None:
    ref = scenario.signed(cf)
    cf.fire(ref, "proposer_avenant", STAFF, data={"objet": "les moyens"})
    cf.add_amendment_change(ref, "abroger", 6, actor=STAFF)
    cf.add_amendment_change(ref, "inserer", 4, title="Référents", text="A.", actor=STAFF)
    cf.set_amendment_motives(ref, "Motifs.", actor=STAFF)
    cf.fire(ref, "soumettre_avenant", STAFF)
    scenario.approve_avenant(cf, ref)
    for party, number in (("bordeaux-metropole", "2027-801"), ("la-cali", "2027-92")):
        cf.record_deliberation(
            ref,
            party=party,
            number=number,
            sitting_date="2027-12-10",
            sent_to_prefecture="2027-12-12",
            published="2027-12-13",
            amendment=1,
            actor=STAFF,
        )
    cf.fire(ref, "signer_avenant", ELECTED, data={"date_signature": "2028-01-15"})
    cf.fire(ref, "proposer_avenant", STAFF, data={"objet": "la gouvernance"})
    with pytest.raises(ValidationError, match="article 6 was repealed \\(avenant n° 1\\)"):
        cf.add_amendment_change(ref, "completer", 6, text="Texte.", actor=STAFF)
    cf.add_amendment_change(ref, "completer", "4-1", text="Un alinéa.", actor=STAFF)
    cf.add_amendment_change(ref, "inserer", 4, title="Comité", text="B.", actor=STAFF)
    changes = json.loads(cf.snapshot(ref, "avenant", subject="2"))["amendment"]["changes"]
    assert (changes[1]["article"], changes[1]["new_article"]) == ("4-1", "4-2")


def test_an_avenant_goes_to_the_councils_with_its_expose_des_motifs(
    cf: Coopflow, amending: str
) -> None:
    cf.add_amendment_change(amending, "rediger", 7, text="Une évaluation en 2028.", actor=STAFF)
    with pytest.raises(GuardFailed) as refused:
        cf.fire(amending, "soumettre_avenant", STAFF)
    assert refused.value.reasons == (
        "avenant n° 1 has no exposé des motifs (coopflow avenant motives REFERENCE TEXT)",
    )
    cf.set_amendment_motives(amending, "Le calendrier a glissé.", actor=STAFF)
    result = cf.fire(amending, "soumettre_avenant", STAFF)
    assert result.documents[0].kind == "avenant"


def test_a_free_paragraph_written_in_sql_does_not_reach_the_councils(
    cf: Coopflow, amending: str
) -> None:
    """An attacker with the application's login writes a change the API would refuse: the
    guard refuses the avenant, and verify names the change made outside coopflow."""
    cf.add_amendment_change(amending, "rediger", 7, text="Texte.", actor=STAFF)
    cf.set_amendment_motives(amending, "Motifs.", actor=STAFF)
    forged = [{"operation": "libre", "text": "L'article 99 est ce que je veux."}]
    with cf.engine.begin() as conn:
        conn.execute(
            text("UPDATE coopflow_amendment SET changes = :c WHERE number = 1"),
            {"c": json.dumps(forged)},
        )
    with pytest.raises(GuardFailed, match="does not aim at an article"):
        cf.fire(amending, "soumettre_avenant", STAFF)
    report = cf.verify(amending)
    assert not report.ok
    assert any("the avenants" in str(p) for p in report.problems), report.problems


# ----------------------------------------------------------------------------- visas


def test_the_visas_come_from_the_home_organisations_file(migrated_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "templates"
    folder.mkdir()
    with Coopflow(migrated_url) as cf:
        ref = scenario.in_drafting(cf)
        builtin = json.loads(cf.snapshot(ref))["visas"]
    assert builtin == [
        "Vu le code général des collectivités territoriales, notamment ses articles "
        "L.\u00a01111-2, L.\u00a01111-4, L.\u00a01111-9, L.\u00a05216-1 et suivants et "
        "L.\u00a05217-1 et suivants\u202f;"
    ]
    (folder / "visas.toml").write_text(
        '[common]\ntexts = ["Vu la loi n° 2014-58 du 27 janvier 2014 ;"]\n'
        '[natures.CA.codes]\n"code général des collectivités territoriales" = ["L. 5216-5"]\n',
        encoding="utf-8",
    )
    with Coopflow(migrated_url, templates_dir=folder) as cf:
        assert json.loads(cf.snapshot(ref))["visas"] == [
            "Vu le code général des collectivités territoriales, notamment son article "
            "L.\u00a05216-5\u202f;",
            "Vu la loi n° 2014-58 du 27 janvier 2014\u202f;",
        ]
        # The visas are the approved text's: a changed file gives a new version.
        first = cf.render(ref, actor=STAFF)
    (folder / "visas.toml").write_text("[common]\ntexts = []\n", encoding="utf-8")
    with Coopflow(migrated_url, templates_dir=folder) as cf:
        assert cf.render(ref, actor=STAFF).version == first.version + 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[commun]\n", "unknown tables"),
        ("[natures.METROPOLE]\n", "'METROPOLE' is not one of"),
        ('[common]\ntexts = ["La loi"]\n', "is not a visa"),
        ("[common\n", "visas.toml"),
    ],
)
def test_a_broken_visas_file_is_named(
    migrated_url: str, tmp_path: Path, content: str, message: str
) -> None:
    (tmp_path / "visas.toml").write_text(content, encoding="utf-8")
    with Coopflow(migrated_url, templates_dir=tmp_path) as cf:
        ref = scenario.in_drafting(cf)
        with pytest.raises(TemplateError, match=message):
            cf.snapshot(ref)


def test_a_visas_file_that_is_a_link_is_refused(migrated_url: str, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere.toml"
    elsewhere.write_text('[common]\ntexts = ["Vu ce qui fuit ;"]\n', encoding="utf-8")
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "visas.toml").symlink_to(elsewhere)
    with Coopflow(migrated_url, templates_dir=folder) as cf:
        ref = scenario.in_drafting(cf)
        with pytest.raises(TemplateError, match="link"):
            cf.snapshot(ref)


def test_a_foreign_authority_brings_l1115_1_into_the_visas(cf: Coopflow) -> None:
    scenario.add_parties(cf, "bordeaux-metropole")
    cf.add_party(
        "porto",
        "Municipalité de Porto",
        nature="ETRANGER",
        deliberative_body="Assemblée municipale",
        executive_title="Président de la Chambre municipale",
        country="Portugal",
        language="portugais",
        actor=STAFF,
    )
    ref = cf.create_partnership(
        "Coopération décentralisée avec Porto",
        scale="france_europe",
        parties=["bordeaux-metropole", "porto"],
        home="bordeaux-metropole",
        responsible=STAFF.id,
        actor=STAFF,
    ).reference
    cf.log_exchange(ref, date="2026-09-15", kind="visio", summary="Premier échange", actor=STAFF)
    cf.fire(ref, "ouvrir_dialogue", STAFF)
    scenario.with_axes(cf, ref, ("bordeaux-metropole", "porto"))
    cf.fire(ref, "engager_contractualisation", STAFF)
    cf.set_protocol(ref, start=scenario.START, end=scenario.END, actor=STAFF)
    (visa,) = json.loads(cf.snapshot(ref))["visas"]
    assert "L.\u00a01115-1 et suivants" in visa
    assert cf.party("porto").article == "la"  # guessed from "Municipalité"


# ----------------------------------------------------------------------------- parties


def test_a_partys_article_civility_and_court_are_data(cf: Coopflow) -> None:
    info = cf.add_party(
        "retz",
        "PETR du Pays de Retz",
        nature="PETR",
        deliberative_body="comité syndical",
        executive_title="Maire",
        executive_civility="Madame",
        usual_name="Pays de Retz",
        usual_article="le",
        actor=STAFF,
    )
    assert (info.article, info.usual_article, info.executive_civility) == ("le", "le", "Madame")
    for bad, field in (
        (dict(article="du"), "article"),
        (dict(executive_civility="Mme"), "executive_civility"),
        (dict(tribunal="TA de Nantes"), "tribunal"),
        (dict(executive_title="Présidente", executive_civility="Monsieur"), "executive_title"),
        (dict(country="France"), "country"),
    ):
        fields = dict(
            official_name="Ville de Rezé",
            nature="COMMUNE",
            deliberative_body="conseil municipal",
            executive_title="Maire",
        )
        with pytest.raises(ValidationError) as refused:
            cf.add_party("reze", **{**fields, **bad}, actor=STAFF)  # type: ignore[arg-type]
        assert refused.value.field == field, bad
    with pytest.raises(ValidationError, match="needs its country"):
        cf.add_party(
            "porto",
            "Municipalité de Porto",
            nature="ETRANGER",
            deliberative_body="Assemblée municipale",
            executive_title="Président",
            actor=STAFF,
        )
    assert {p.key for p in cf.parties()} == {"retz"}


def test_a_party_changed_in_sql_is_named_by_verify(cf: Coopflow) -> None:
    scenario.add_parties(cf, "bordeaux-metropole")
    assert cf.verify().ok
    with cf.engine.begin() as conn:
        conn.execute(text("UPDATE coopflow_party SET tribunal = 'tribunal administratif de Pau'"))
    problems = [str(p) for p in cf.verify().problems]
    assert any("party bordeaux-metropole is not as" in p for p in problems), problems


# ----------------------------------------------------------------------------- signatories


def test_a_signatory_carries_a_civility_that_agrees_with_the_title(cf: Coopflow) -> None:
    ref = scenario.in_drafting(cf)
    for bad, field in (
        (dict(civility="Mme"), "civility"),
        (dict(title="Président", civility="Madame"), "title"),
        (dict(delegation_number="2027-15"), "delegation_date"),
        (dict(delegation_date="2027-01-15"), "delegation_number"),
    ):
        values = dict(first_name="Anne", last_name="Roux", title="Présidente", civility="Madame")
        with pytest.raises(ValidationError) as refused:
            cf.set_signatory(ref, party="la-cali", **{**values, **bad}, actor=STAFF)  # type: ignore[arg-type]
        assert refused.value.field == field, bad
    signatories = {s["party_key"]: s for s in json.loads(cf.snapshot(ref))["signatories"]}
    assert signatories["la-cali"]["first_name"] == "Étienne"  # unchanged


def test_a_signature_by_delegation_is_accepted_and_printed(cf: Coopflow) -> None:
    ref = scenario.in_deliberations(cf)
    scenario.record_deliberations(cf, ref, ("bordeaux-metropole", "la-cali"))
    cf.set_signatory(
        ref,
        party="la-cali",
        first_name="Anne",
        last_name="Roux",
        title="Vice-présidente",
        civility="Madame",
        delegation_number="2027-A-3",
        delegation_date="2027-01-05",
        actor=STAFF,
    )
    result = cf.fire(ref, "signer", ELECTED, data={"date_signature": scenario.SIGNED_ON})
    signed = next(d for d in result.documents if d.kind == "protocole")
    pdf = cf.document_bytes(signed.sha256)
    from tests.documents.pdfcheck import page_texts

    text_ = " ".join(page_texts(pdf))
    assert "Pour le Président et par délégation, la Vice-présidente, Anne ROUX" in text_
    assert "agissant par délégation du Président en vertu de l'arrêté n° 2027-A-3 du " in text_


def test_a_signatory_without_civility_cannot_sign(cf: Coopflow) -> None:
    """A signatory named before revision 0008 (or whose civility an attacker erased): the
    documents still agree, and signing asks for it."""
    ref = scenario.in_deliberations(cf)
    scenario.record_deliberations(cf, ref, ("bordeaux-metropole", "la-cali"))
    with cf.engine.begin() as conn:
        conn.execute(text("UPDATE coopflow_signatory SET civility = NULL"))
    with pytest.raises(GuardFailed) as refused:
        cf.fire(ref, "signer", ELECTED, data={"date_signature": scenario.SIGNED_ON})
    assert (
        "the signatory of La Cali, Étienne MARCHAL, has no civility (Madame or Monsieur): the "
        "documents need it" in refused.value.reasons
    )


# ----------------------------------------------------------------------------- the protocol


def test_legal_review_asks_for_a_preambule_and_a_court(cf: Coopflow) -> None:
    ref = scenario.in_dialogue(cf)
    cf.add_party(
        "bordeaux-metropole",
        "Bordeaux Métropole",
        nature="METRO",
        deliberative_body="conseil métropolitain",
        executive_title="Présidente",
        siren="243300316",
        seat="Bordeaux",
        replace=True,
        actor=STAFF,
    )  # its tribunal forgotten
    scenario.with_axes(cf, ref, ("bordeaux-metropole", "la-cali"))
    cf.fire(ref, "engager_contractualisation", STAFF)
    cf.set_protocol(
        ref, start=scenario.START, end=scenario.END, copil="COPIL", cotech="COTECH", actor=STAFF
    )
    with pytest.raises(GuardFailed) as refused:
        cf.fire(ref, "soumettre_revue_juridique", STAFF)
    assert refused.value.reasons == (
        "the protocol has no préambule: write one (coopflow protocol set --preamble), from the "
        "stakes the dialogue identified",
        "the dispute article names no court: give Bordeaux Métropole its tribunal administratif "
        '(coopflow party add bordeaux-metropole ... --tribunal "tribunal administratif de ..." '
        "--replace)",
    )
    assert cf.documents_of(ref) == []


def test_planned_financial_commitments_are_checked(cf: Coopflow) -> None:
    ref = scenario.in_drafting(cf)
    for bad, field in ((dict(amount="-5"), "amount"), (dict(amount="1,234"), "amount")):
        with pytest.raises(ValidationError) as refused:
            cf.set_financial_commitment(ref, party="la-cali", **bad, actor=STAFF)  # type: ignore[arg-type]
        assert refused.value.field == field
    with pytest.raises(NotFoundError, match="ville-de-saintes"):
        cf.set_financial_commitment(ref, party="ville-de-saintes", amount=10, actor=STAFF)
    cf.set_financial_commitment(ref, party="la-cali", amount="12 500,50", actor=STAFF)
    (money,) = json.loads(cf.snapshot(ref))["financial_commitments"]
    assert money == {"party_key": "la-cali", "amount": "12500.50", "detail": ""}


def test_the_pilot_is_a_person_with_a_function(cf: Coopflow) -> None:
    ref = scenario.signed(cf)
    cf.add_programme(ref, "2027", start="2027-03-01", end="2027-12-31", actor=STAFF)
    with pytest.raises(ValidationError) as refused:
        cf.add_action(ref, "2027", axis=1, title="A", pilot_name="Marie Dupont", actor=STAFF)
    assert refused.value.field == "pilot_function"
    with pytest.raises(ValidationError) as refused:
        cf.add_action(
            ref,
            "2027",
            axis=1,
            title="A",
            pilot_name="Marie Dupont",
            pilot_function="cheffe de projet",
            pilot_email="marie.dupont",
            actor=STAFF,
        )
    assert refused.value.field == "pilot_email"
    cf.add_action(
        ref,
        "2027",
        axis=1,
        title="A",
        contact="Direction des mobilités",
        pilot_name="Marie Dupont",
        pilot_function="cheffe de projet",
        pilot_email="m.dupont@bordeaux-metropole.fr",
        actor=STAFF,
    )
    (action,) = json.loads(cf.snapshot(ref, "programme", subject="2027"))["actions"]
    assert action["pilot"] == {
        "name": "Marie Dupont",
        "function": "cheffe de projet",
        "email": "m.dupont@bordeaux-metropole.fr",
    }
    assert action["contact"] == "Direction des mobilités"


def test_a_document_subject_that_is_no_avenant_number_is_refused(cf: Coopflow) -> None:
    ref = scenario.signed(cf)
    for kind in ("avenant", "consolide"):
        with pytest.raises(ValidationError, match="is not an avenant's number") as refused:
            cf.render(ref, kind, subject="abc", actor=STAFF)  # type: ignore[arg-type]
        assert refused.value.field == "subject"
    with pytest.raises(NotFoundError, match="signed avenant"):
        cf.render(ref, "consolide", subject="1", actor=STAFF)


# ----------------------------------------------------------------------------- review pass


def _sign_avenant(cf: Coopflow, ref: str, number: int, date: str) -> None:
    if cf.partnership(ref).workflow_version > 1:  # version 2: the legal department approves it
        scenario.approve_avenant(cf, ref, number)
    for party, council in (("bordeaux-metropole", "2027-8"), ("la-cali", "2027-9")):
        cf.record_deliberation(
            ref,
            party=party,
            number=f"{council}{number}",
            sitting_date="2027-12-10",
            sent_to_prefecture="2027-12-12",
            published="2027-12-13",
            amendment=number,
            actor=STAFF,
        )
    cf.fire(ref, "signer_avenant", ELECTED, data={"date_signature": date})


def test_the_consolidated_protocol_names_who_signed_the_protocol(cf: Coopflow) -> None:
    """Signatories named since for an avenant are the avenant's, not the protocol's."""
    from tests.documents.pdfcheck import page_texts

    ref = scenario.signed(cf)
    cf.fire(ref, "proposer_avenant", STAFF, data={"objet": "l'évaluation"})
    cf.set_signatory(
        ref,
        party="la-cali",
        first_name="Nadia",
        last_name="Ferrand",
        title="Présidente",
        civility="Madame",
        actor=STAFF,
    )
    cf.add_amendment_change(ref, "rediger", 7, text="Une évaluation en 2028.", actor=STAFF)
    cf.add_amendment_change(ref, "inserer", 4, title="Référents", text="A.", actor=STAFF)
    cf.set_amendment_motives(ref, "Motifs.", actor=STAFF)
    cf.fire(ref, "soumettre_avenant", STAFF)
    _sign_avenant(cf, ref, 1, "2028-01-15")
    cf.fire(ref, "proposer_avenant", STAFF, data={"objet": "la suite"})
    cf.add_amendment_change(ref, "abroger", 7, actor=STAFF)
    cf.add_amendment_change(ref, "completer", "4-1", text="B.", actor=STAFF)
    cf.set_amendment_motives(ref, "Motifs.", actor=STAFF)
    cf.fire(ref, "soumettre_avenant", STAFF)
    _sign_avenant(cf, ref, 2, "2028-06-15")
    (doc,) = [d for d in cf.documents_of(ref) if d.kind == "consolide" and d.subject == "2"]
    text_ = " ".join(page_texts(cf.document_bytes(doc.sha256)))
    assert "Monsieur Étienne MARCHAL" in text_ and "FERRAND" not in text_
    # Each avenant's own doing, in order.
    assert (
        "[Modifié par l'avenant n° 1 signé le 15 janvier 2028, abrogé par l'avenant n° 2 "
        "signé le 15 juin 2028.]" in text_
    )
    assert (
        "[Inséré par l'avenant n° 1 signé le 15 janvier 2028, modifié par l'avenant n° 2 "
        "signé le 15 juin 2028.]" in text_
    )
    assert cf.verify(ref).ok
    # The consolidated document's record never goes back in time.
    history = cf.history(ref)
    assert all(a.at <= b.at for a, b in itertools.pairwise(history))


def test_an_insertion_after_a_missing_article_is_refused_by_name(
    cf: Coopflow, amending: str
) -> None:
    with pytest.raises(ValidationError, match="no article 99") as refused:
        cf.add_amendment_change(amending, "inserer", 99, title="T", text="x", actor=STAFF)
    assert refused.value.field == "article"


def test_a_forged_free_paragraph_wrapping_a_change_is_named_by_verify(
    cf: Coopflow, amending: str
) -> None:
    cf.add_amendment_change(amending, "rediger", 7, text="Texte.", actor=STAFF)
    with cf.engine.connect() as conn:
        (stored,) = conn.execute(text("SELECT changes FROM coopflow_amendment")).scalars()
    changes = json.loads(stored) if isinstance(stored, str) else stored
    wrapped = [
        {"operation": "libre", "article": None, "new_article": None, "title": None, "text": c}
        for c in changes
    ]
    with cf.engine.begin() as conn:
        conn.execute(text("UPDATE coopflow_amendment SET changes = :c"), {"c": json.dumps(wrapped)})
    assert not cf.verify(amending).ok


def test_no_consolidation_of_an_avenant_written_before_structured_changes(cf: Coopflow) -> None:
    # Written before revision 0008, it followed version 1 of the workflow (no legal review).
    amending = scenario.signed(cf, workflow_version=1)
    cf.fire(amending, "proposer_avenant", STAFF, data={"objet": "la gouvernance"})
    cf.add_amendment_change(amending, "rediger", 7, text="Texte.", actor=STAFF)
    cf.set_amendment_motives(amending, "Motifs.", actor=STAFF)
    cf.fire(amending, "soumettre_avenant", STAFF)
    with cf.engine.begin() as conn:  # as revision 0008 migrated an older avenant
        conn.execute(
            text("UPDATE coopflow_amendment SET changes = :c"),
            {"c": json.dumps([{"operation": "libre", "article": None, "new_article": None,
                               "title": None, "text": "L'article 6 est abrogé."}])},
        )  # fmt: skip
    _sign_avenant(cf, amending, 1, "2028-01-15")
    kinds = [d.kind for d in cf.documents_of(amending)]
    assert "avenant" in kinds and "consolide" not in kinds
    with pytest.raises(ValidationError, match="cannot be consolidated"):
        cf.render(amending, "consolide", subject="1", actor=STAFF)


def test_document_subjects_are_one_avenant_number(cf: Coopflow, amending: str) -> None:
    cf.add_amendment_change(amending, "rediger", 7, text="Texte.", actor=STAFF)
    first = cf.render(amending, "avenant", subject="1", actor=STAFF)
    for same in (" 1", "01"):
        assert cf.render(amending, "avenant", subject=same, actor=STAFF).sha256 == first.sha256
    with pytest.raises(ValidationError, match="not an avenant's number"):
        cf.render(amending, "avenant", subject="１", actor=STAFF)


def test_the_prevailing_language_is_one_of_the_protocols(cf: Coopflow) -> None:
    ref = scenario.in_drafting(cf)
    with pytest.raises(ValidationError, match="'klingon' is not one of") as refused:
        cf.set_protocol(
            ref, start=scenario.START, end=scenario.END, prevailing_language="klingon", actor=STAFF
        )
    assert refused.value.field == "prevailing_language"


def test_a_delegation_is_from_the_executive_and_before_the_signature(cf: Coopflow) -> None:
    ref = scenario.in_deliberations(cf)
    scenario.record_deliberations(cf, ref, ("bordeaux-metropole", "la-cali"))
    with pytest.raises(ValidationError, match="executive's own title") as refused:
        cf.set_signatory(
            ref,
            party="la-cali",
            first_name="Anne",
            last_name="Roux",
            title="Présidente",
            civility="Madame",
            delegation_number="A-1",
            delegation_date="2027-01-05",
            actor=STAFF,
        )
    assert refused.value.field == "title"
    cf.set_signatory(
        ref,
        party="la-cali",
        first_name="Anne",
        last_name="Roux",
        title="1re vice-présidente",
        civility="Madame",
        delegation_number="A-1",
        delegation_date="2030-06-01",
        actor=STAFF,
    )
    with pytest.raises(GuardFailed) as refused_signing:
        cf.fire(ref, "signer", ELECTED, data={"date_signature": scenario.SIGNED_ON})
    assert refused_signing.value.reasons == (
        "the signatory of La Cali, Anne ROUX, signs by delegation under arrêté n° A-1 of "
        "2030-06-01, after the signature date 2027-03-20",
    )


def test_a_financial_commitment_of_a_non_member_written_in_sql_breaks_nothing(
    cf: Coopflow,
) -> None:
    ref = scenario.in_drafting(cf)
    cf.set_financial_commitment(ref, party="la-cali", amount=100, actor=STAFF)
    scenario.add_parties(cf, "ville-de-saintes")
    with cf.engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE coopflow_financial_commitment SET party_id = "
                "(SELECT id FROM coopflow_party WHERE key = 'ville-de-saintes')"
            )
        )
    assert json.loads(cf.snapshot(ref))["financial_commitments"] == []
    assert not cf.verify(ref).ok  # the protocol's scope changed outside coopflow
    # The API removes one entered by mistake.
    ref2 = scenario.in_drafting(cf, "ville-de-saintes")
    cf.set_financial_commitment(ref2, party="ville-de-saintes", amount=5, actor=STAFF)
    cf.remove_financial_commitment(ref2, party="ville-de-saintes", actor=STAFF)
    assert json.loads(cf.snapshot(ref2))["financial_commitments"] == []
    with pytest.raises(NotFoundError):
        cf.remove_financial_commitment(ref2, party="ville-de-saintes", actor=STAFF)


def test_a_programme_runs_by_its_workflows_capability_not_a_state_name(cf: Coopflow) -> None:
    ref = scenario.signed(cf)
    label = scenario.with_programme(cf, ref)
    programme = json.loads(cf.snapshot(ref, "programme", subject=label))
    assert (programme["state"], programme["in_progress"]) == ("brouillon", False)
    cf.fire(ref, "revue_cotech", STAFF, programme=label)
    cf.fire(ref, "approuver_copil", ELECTED, programme=label, data={"date_copil": "2027-03-20"})
    cf.fire(ref, "demarrer", STAFF, programme=label)
    programme = json.loads(cf.snapshot(ref, "programme", subject=label))
    assert (programme["state"], programme["in_progress"]) == ("en_cours", True)


def test_the_notice_of_a_termination_is_protocol_content(cf: Coopflow) -> None:
    ref = scenario.in_drafting(cf)
    snapshot = json.loads(cf.snapshot(ref))
    assert "notice_months" not in snapshot  # the default: a snapshot before 0009 keeps its hash
    cf.set_protocol(ref, start=scenario.START, end=scenario.END, notice_months=6, actor=STAFF)
    assert json.loads(cf.snapshot(ref))["notice_months"] == 6
    last = cf.history(ref)[-1]
    assert last.event == "change" and "notice_months" in json.dumps(last.data)
    with pytest.raises(ValidationError) as refused:
        cf.set_protocol(ref, start=scenario.START, end=scenario.END, notice_months=13, actor=STAFF)
    assert refused.value.field == "notice_months"
    assert json.loads(cf.snapshot(ref))["notice_months"] == 6
    assert cf.verify().ok
