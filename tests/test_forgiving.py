"""Forgiving input, through the API (on every backend): references in any case and the closest
ones named when unknown, parties by their names, exchange kinds with or without accents,
states by their last part, the search of ``partnerships``; and ``Coopflow(locale=...)``."""

from __future__ import annotations

import coopflow
import pytest
from coopflow import Coopflow, NotFoundError, ValidationError
from coopflow._domain.lookup import closest, fold
from coopflow._i18n import language

from tests import scenario
from tests.scenario import STAFF


def test_fold_takes_accents_case_and_ligatures_aside() -> None:
    assert fold("  Communauté d’Agglomération ") == "communaute d'agglomeration"
    assert fold("ŒNOTOURISME à Saint-Émilion") == "oenotourisme a saint-emilion"
    assert closest("reunoin", ["reunion", "courrier", "visite"]) == ["reunion"]
    assert closest("zzz", ["reunion", "courrier"]) == []


def test_a_reference_is_taken_in_any_case(cf: Coopflow) -> None:
    ref = scenario.in_accueil(cf)
    assert cf.partnership(ref.lower()).reference == ref
    assert cf.detail(ref.lower())["reference"] == ref
    # A write too (the lock is taken on the stored reference).
    cf.log_exchange(ref.lower(), date="2026-01-12", kind="visio", summary="Point", actor=STAFF)
    assert [x.kind for x in cf.exchanges(ref)] == ["visio"]


def test_an_unknown_reference_names_the_closest(cf: Coopflow) -> None:
    ref = scenario.in_accueil(cf)
    typo = ref[:-1] + ("2" if ref[-1] != "2" else "3")
    with pytest.raises(NotFoundError) as caught:
        cf.partnership(typo)
    assert caught.value.suggestions == (ref,)
    assert f"did you mean {ref}?" in caught.value.message
    # A write names them too (its NotFoundError comes from the lock).
    with pytest.raises(NotFoundError) as written:
        cf.log_exchange(typo, date="2026-01-12", kind="visio", summary="Point", actor=STAFF)
    assert written.value.suggestions == (ref,)
    with pytest.raises(NotFoundError) as far:
        cf.partnership("XYZ-1999-9999")
    assert far.value.suggestions == ()
    assert "did you mean" not in far.value.message


def test_a_party_is_found_by_its_names(cf: Coopflow) -> None:
    scenario.add_parties(cf, "bordeaux-metropole", "la-cali")
    assert cf.party("La Cali").key == "la-cali"
    assert cf.party("la cali").key == "la-cali"
    assert cf.party("communaute d'agglomeration du libournais").key == "la-cali"
    assert cf.party("Libournais").key == "la-cali"  # the only one whose name holds it
    assert cf.party("agglomeration du Libournais").key == "la-cali"  # whole words, in order
    with pytest.raises(NotFoundError):
        cf.party("Libourn")  # a part of a word is never taken for a name
    with pytest.raises(NotFoundError):
        cf.party("cal")
    with pytest.raises(NotFoundError) as caught:
        cf.party("La Calli")
    assert caught.value.suggestions == ("la-cali",)


def test_a_name_of_several_parties_is_refused_with_the_candidates(cf: Coopflow) -> None:
    scenario.add_parties(cf, "bordeaux-metropole")
    cf.add_party(
        "ville-de-bordeaux",
        "Ville de Bordeaux",
        nature="COMMUNE",
        deliberative_body="conseil municipal",
        executive_title="Maire",
        executive_civility="Monsieur",
        actor=STAFF,
    )
    with pytest.raises(ValidationError) as caught:
        cf.party("Bordeaux")
    assert caught.value.candidates == ("bordeaux-metropole", "ville-de-bordeaux")
    assert caught.value.field == "party"
    assert "names several parties" in caught.value.message
    assert cf.party("bordeaux métropole").key == "bordeaux-metropole"  # a whole name is one


def test_a_party_named_in_data_entry(cf: Coopflow) -> None:
    ref = scenario.in_dialogue(cf)
    n = cf.add_axis(ref, "Mobilités", actor=STAFF)
    cf.add_commitment(ref, axis=n, party="La Cali", text="Une navette", actor=STAFF)
    last = cf.history(ref)[-1]
    assert last.data["operation"] == "commitment.add"
    assert "la-cali" in str(last.data)
    assert [p.reference for p in cf.partnerships(party="La Cali")] == [ref]
    scenario.add_parties(cf, "ville-de-saintes")
    with pytest.raises(ValidationError, match="is not a party to"):
        cf.add_commitment(ref, axis=n, party="Ville de Saintes", text="Rien", actor=STAFF)


def test_an_exchange_kind_with_or_without_accents(cf: Coopflow) -> None:
    ref = scenario.in_accueil(cf)
    cf.log_exchange(ref, date="2026-01-12", kind="réunion", summary="Un", actor=STAFF)
    cf.log_exchange(ref, date="2026-01-13", kind="Séminaire", summary="Deux", actor=STAFF)
    assert [x.kind for x in cf.exchanges(ref)] == ["reunion", "seminaire"]
    with pytest.raises(ValidationError) as caught:
        cf.log_exchange(ref, date="2026-01-14", kind="reunoin", summary="Trois", actor=STAFF)
    assert caught.value.field == "kind"
    assert "did you mean reunion?" in caught.value.message
    assert caught.value.suggestions == ("reunion",)


def test_a_state_by_its_last_part(cf: Coopflow) -> None:
    ref = scenario.in_deliberations(cf)
    assert [p.reference for p in cf.partnerships(state="deliberations")] == [ref]
    assert [p.reference for p in cf.partnerships(state="Délibérations")] == [ref]
    assert list(cf.partnerships(state="avenant.deliberations")) == []
    assert [p.reference for p in cf.partnerships(state="contractualisation")] == [ref]
    with pytest.raises(ValidationError) as caught:
        list(cf.partnerships(state="deliberation"))
    assert "did you mean" in caught.value.message
    assert "deliberations" in caught.value.suggestions
    with pytest.raises(ValidationError, match=r"no workflow has a state 'nowhere'$"):
        list(cf.partnerships(state="nowhere"))


def test_search_is_accent_and_case_insensitive(cf: Coopflow) -> None:
    scenario.add_parties(cf)
    cali = scenario.in_accueil(cf, "la-cali")
    other = cf.create_partnership(
        "Œnotourisme et Patrimoine",
        scale="espace_regional",
        parties=["bordeaux-metropole", "ville-de-saintes"],
        home="bordeaux-metropole",
        responsible="paul.durand",
        actor=STAFF,
    ).reference

    def found(**criteria: str) -> list[str]:
        return [p.reference for p in cf.partnerships(**criteria)]  # type: ignore[arg-type]

    assert found(search="oenotourisme") == [other]  # the title, its ligature and case aside
    assert found(search="PATRIMOINE") == [other]
    assert found(search="la cali") == [cali]  # a party's usual name
    assert found(search="libournais") == [cali]  # its official name
    assert found(search="agglomeration du") == [cali]  # without its accent
    assert found(search=cali.lower()) == [cali]  # the reference
    assert found(search="bordeaux") == sorted([cali, other])
    assert found(search="100%") == []  # LIKE's wildcards are text
    assert found(responsible="PAUL.DURAND") == [other]
    assert found(responsible=STAFF.id, search="cali") == [cali]


def test_locale_speaks_the_language_asked(migrated_url: str) -> None:
    with Coopflow(migrated_url, locale="fr") as french, Coopflow(migrated_url) as english:
        with pytest.raises(NotFoundError) as fr:
            french.partnership("COOP-1999-0001")
        with pytest.raises(NotFoundError) as en:
            english.partnership("COOP-1999-0001")
        assert en.value.message == "partnership COOP-1999-0001 not found"  # COOPFLOW_LANG=en
        assert fr.value.code == en.value.code == "not_found"  # the code does not change
        with language("fr"):
            expected = coopflow._i18n._("no workflow has a state {state!r}").format(state="x")
        with pytest.raises(ValidationError) as state:
            list(french.partnerships(state="x"))
        assert expected != "no workflow has a state 'x'"  # the French catalog is compiled
        assert state.value.message.endswith(expected)
        # The language is the instance's, not left behind in the caller's context.
        assert coopflow._i18n.current() == "en"


def test_an_unknown_locale_is_refused(migrated_url: str) -> None:
    with pytest.raises(ValidationError, match="unknown language 'de'"):
        Coopflow(migrated_url, locale="de")
