"""Every error coopflow raises speaks the reader's language and keeps what it is about in
fields: its message in English and in French (translated when it is raised), its stable
``code`` and structured fields the same in both, and real refusals through the API in French.

The suite runs in English (``COOPFLOW_LANG=en``, tests/conftest.py); these tests choose French
explicitly, with :func:`coopflow._i18n.language` or :class:`coopflow.Coopflow`'s ``locale``."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import coopflow
import pytest
from coopflow import Actor, Coopflow, errors
from coopflow import _validate as v
from coopflow._i18n import _, language
from coopflow._script import ApplyReport, Outcome, ScriptError, ScriptFailed
from coopflow.errors import (
    AlreadyExistsError,
    ConcurrentModificationError,
    CoopflowError,
    DocumentError,
    EvidenceError,
    ExtensionError,
    GuardFailed,
    HookError,
    IntegrityError,
    InvalidWorkflowError,
    NotFoundError,
    OutputError,
    PermissionDenied,
    ProgrammeRequired,
    ProtectionsOff,
    Reason,
    SchemaOutOfDateError,
    TemplateError,
    TransitionNotAllowed,
    UnknownEventError,
    ValidationError,
)

from tests import scenario

#: Every error class and its code: hosts read these, so a code never changes (a new class
#: gets a new line here).
CODES: dict[type[CoopflowError], str] = {
    CoopflowError: "error",
    ValidationError: "invalid_input",
    NotFoundError: "not_found",
    AlreadyExistsError: "already_exists",
    TransitionNotAllowed: "transition_not_allowed",
    UnknownEventError: "unknown_event",
    ProgrammeRequired: "programme_required",
    GuardFailed: "guard_failed",
    PermissionDenied: "permission_denied",
    ConcurrentModificationError: "concurrent_modification",
    InvalidWorkflowError: "invalid_workflow",
    SchemaOutOfDateError: "schema_out_of_date",
    ExtensionError: "extension_failed",
    DocumentError: "document_failed",
    TemplateError: "template_failed",
    IntegrityError: "integrity",
    EvidenceError: "evidence_failed",
    OutputError: "output_refused",
    ProtectionsOff: "protections_off",
    HookError: "hook_failed",
}
#: The script's errors (coopflow._script), with codes of their own.
SCRIPT_CODES: dict[type[CoopflowError], str] = {
    ScriptError: "script_invalid",
    ScriptFailed: "script_refused",
}


def error_classes() -> set[type[CoopflowError]]:
    """Every CoopflowError class coopflow.errors defines."""
    return {
        value
        for value in vars(errors).values()
        if inspect.isclass(value)
        and issubclass(value, CoopflowError)
        and value.__module__ == errors.__name__
    }


def raised(call: Callable[[], object]) -> CoopflowError:
    """The CoopflowError ``call`` raises."""
    with pytest.raises(CoopflowError) as caught:
        call()
    return caught.value


def fields(exc: CoopflowError) -> dict[str, Any]:
    """What a host reads of an error: its code and its structured fields (not its text)."""
    found = {k: val for k, val in vars(exc).items() if k not in {"message", "error"}}
    if isinstance(exc, GuardFailed):
        found["reasons"] = [(r.code, r.command, r.call) for r in exc.reasons]
    if isinstance(exc, ScriptFailed):
        found = {"error": type(exc.error), "line": exc.outcome.line, "item": exc.outcome.item}
    return {"code": exc.code, **found}


def script_failed() -> ScriptFailed:
    refusal = NotFoundError("party", "la-kali")
    outcome = Outcome("COOP-2026-0001", "partnership", 7, "refused", refusal.message, refusal)
    return ScriptFailed(ApplyReport("demo", "demo.toml", False, (outcome,)), outcome)


#: One instance of every error class (built in the language of the moment), and the values of
#: its fields its message must show in any language.
CASES: dict[str, tuple[type[CoopflowError], Callable[[], CoopflowError], tuple[str, ...]]] = {
    "default": (CoopflowError, CoopflowError, ()),
    "validation": (
        ValidationError,
        lambda: raised(lambda: v.date("2026-13-45", "sitting_date")),
        ("sitting_date", "'2026-13-45'"),
    ),
    "validation-plural": (
        ValidationError,
        lambda: raised(lambda: v.period("2027-01-01", "2040-01-01", "period", max_years=10)),
        ("period", "10"),
    ),
    "not-found": (
        NotFoundError,
        lambda: NotFoundError("partnership", "COOP-2026-0999"),
        ("COOP-2026-0999",),
    ),
    "not-found-within": (
        NotFoundError,
        lambda: NotFoundError("programme", "2027-2028", within="COOP-2026-0001"),
        ("2027-2028", "COOP-2026-0001"),
    ),
    "not-found-action": (
        NotFoundError,
        lambda: NotFoundError("action", 3, within="2027-2028"),
        ("3", "2027-2028"),
    ),
    "not-found-none": (NotFoundError, lambda: NotFoundError("checkpoint", None), ()),
    "not-found-host-kind": (
        NotFoundError,
        lambda: NotFoundError("ticket", "T-42"),
        ("ticket", "T-42"),
    ),
    "already-exists": (
        AlreadyExistsError,
        lambda: AlreadyExistsError("party", "la-cali"),
        ("la-cali",),
    ),
    "already-exists-within": (
        AlreadyExistsError,
        lambda: AlreadyExistsError("party with SIREN", "243300316", within="bordeaux-metropole"),
        ("243300316", "bordeaux-metropole"),
    ),
    "transition": (
        TransitionNotAllowed,
        lambda: TransitionNotAllowed("signer", "accueil", ["ouvrir_dialogue", "abandonner"]),
        ("'signer'", "'accueil'", "ouvrir_dialogue, abandonner"),
    ),
    "transition-none": (
        TransitionNotAllowed,
        lambda: TransitionNotAllowed("signer", "clos.abandonne"),
        ("'signer'", "'clos.abandonne'"),
    ),
    "unknown-event": (
        UnknownEventError,
        lambda: UnknownEventError("signr", "cooperation", ["signer", "suspendre"]),
        ("'signr'", "cooperation", "signer, suspendre"),
    ),
    "programme-required": (
        ProgrammeRequired,
        lambda: ProgrammeRequired(
            "revue_cotech", "programme v1", ["revue_cotech"], programmes=["2027", "2028"]
        ),
        ("revue_cotech", "2027, 2028"),
    ),
    "guard": (
        GuardFailed,
        lambda: GuardFailed(
            "soumettre_revue",
            [Reason("no exchange logged", code="no_exchange", command="coopflow exchange log")],
        ),
        ("soumettre_revue", "no exchange logged"),
    ),
    "permission-reason": (
        PermissionDenied,
        lambda: PermissionDenied(
            "approuver", "", ["legal"], actor="intern.bob", reason="intern.bob is deactivated"
        ),
        ("intern.bob", "approuver", "intern.bob is deactivated"),
    ),
    "permission-no-role-operation": (
        PermissionDenied,
        lambda: PermissionDenied("axis.put", "", ["staff", "admin"], actor="luc", held=["legal"]),
        ("luc", "'axis.put'", "staff, admin", "legal"),
    ),
    "permission-no-role-event": (
        PermissionDenied,
        lambda: PermissionDenied("signer", "", ["elected"], actor="luc"),
        ("luc", "'signer'", "elected"),
    ),
    "permission-role-operation": (
        PermissionDenied,
        lambda: PermissionDenied("axis.put", "legal", ["staff"], actor="luc", held=["legal"]),
        ("'legal'", "'axis.put'", "staff", "luc"),
    ),
    "permission-role-event": (
        PermissionDenied,
        lambda: PermissionDenied("suspendre", "legal", ["staff", "admin"], held=["legal"]),
        ("'legal'", "'suspendre'", "staff, admin"),
    ),
    "concurrent": (
        ConcurrentModificationError,
        lambda: ConcurrentModificationError("COOP-2026-0001"),
        ("COOP-2026-0001",),
    ),
    "concurrent-detail": (
        ConcurrentModificationError,
        lambda: ConcurrentModificationError("COOP-2026-0001", "lock conflict"),
        ("COOP-2026-0001", "lock conflict"),
    ),
    "concurrent-checkpoint": (
        ConcurrentModificationError,
        lambda: ConcurrentModificationError("4", kind="checkpoint"),
        ("4",),
    ),
    "invalid-workflow": (
        InvalidWorkflowError,
        lambda: InvalidWorkflowError("permissions.toml", "operations", _("must be a table")),
        ("permissions.toml", "operations"),
    ),
    "schema": (
        SchemaOutOfDateError,
        lambda: SchemaOutOfDateError(None, "0009", "coopflow upgrade"),
        ("0009", "`coopflow upgrade`"),
    ),
    "schema-behind": (
        SchemaOutOfDateError,
        lambda: SchemaOutOfDateError("0007", "0009", "coopflow upgrade"),
        ("0007", "0009", "`coopflow upgrade`"),
    ),
    "extension-guard": (
        ExtensionError,
        lambda: ExtensionError("guard", "budget_ok", ValueError("boom")),
        ("'budget_ok'", "ValueError: boom"),
    ),
    "extension-effect": (
        ExtensionError,
        lambda: ExtensionError("effect", "notify", KeyError("x")),
        ("'notify'", "KeyError"),
    ),
    "document": (DocumentError, DocumentError, ()),
    "template": (
        TemplateError,
        lambda: TemplateError("protocole.html.j2", "'partie' is undefined"),
        ("protocole.html.j2", "'partie' is undefined"),
    ),
    "integrity": (IntegrityError, IntegrityError, ()),
    "evidence": (EvidenceError, EvidenceError, ()),
    "output": (
        OutputError,
        lambda: OutputError("/tmp/out/COOP-2026-0001.pdf", "it exists"),
        ("/tmp/out/COOP-2026-0001.pdf", "it exists"),
    ),
    "protections": (
        ProtectionsOff,
        lambda: ProtectionsOff(["trigger coopflow_journal_append_only is missing"]),
        ("trigger coopflow_journal_append_only is missing", "`coopflow protections repair`"),
    ),
    "hook": (
        HookError,
        lambda: HookError("on_fire", RuntimeError("down")),
        ("on_fire", "RuntimeError('down')"),
    ),
    "script-error": (
        ScriptError,
        lambda: ScriptError(_("must not be empty"), source="demo.toml", line=3, path="title"),
        ("demo.toml:3", "title"),
    ),
    "script-failed": (ScriptFailed, script_failed, ("demo.toml:7", "COOP-2026-0001", "la-kali")),
}


def test_every_error_class_has_a_case() -> None:
    covered = {cls for cls, _factory, _values in CASES.values()}
    assert covered == error_classes() | set(SCRIPT_CODES)


def test_codes_are_stable_and_unique() -> None:
    assert {cls: cls.code for cls in error_classes()} == CODES
    assert {cls: cls.code for cls in SCRIPT_CODES} == SCRIPT_CODES
    every = [*CODES.values(), *SCRIPT_CODES.values()]
    assert len(set(every)) == len(every), "two error classes share a code"


@pytest.mark.parametrize("cls", sorted(error_classes(), key=lambda c: c.__name__))
def test_every_class_has_a_default_message_of_its_own_in_french(
    cls: type[CoopflowError],
) -> None:
    assert "default_message" in vars(cls), f"{cls.__name__} inherits its default message"
    english = cls.default_message
    with language("fr"):
        french = _(english)
    assert french != english


@pytest.mark.parametrize("case", list(CASES))
def test_message_in_english_and_french_with_the_same_fields(case: str) -> None:
    cls, factory, values = CASES[case]
    with language("en"):
        english = factory()
    with language("fr"):
        french = factory()
    assert type(english) is type(french) is cls
    assert english.message and french.message
    assert french.message != english.message, f"{case}: no French for {english.message!r}"
    for value in values:
        assert value in english.message, (case, value, english.message)
        assert value in french.message, (case, value, french.message)
    assert str(french) == french.message
    assert fields(french) == fields(english)


def test_suggestions_and_candidates_are_fields_empty_unless_known() -> None:
    exc = NotFoundError("party", "la-kali")
    assert exc.suggestions == () and "suggestions" not in vars(exc)
    assert ValidationError("ambiguous", field="party").candidates == ()
    exc.suggestions = ("la-cali",)
    assert fields(exc)["suggestions"] == ("la-cali",)


def test_a_host_subclass_without_a_default_takes_its_docstring() -> None:
    class TicketClosed(CoopflowError):
        """The ticket is closed."""

        code = "ticket_closed"

    with language("fr"):
        assert TicketClosed().message == "The ticket is closed."
    assert TicketClosed("fermé").message == "fermé"


@pytest.mark.parametrize("kind", sorted(errors.NOT_FOUND))
def test_each_kind_not_found_is_a_french_sentence(kind: str) -> None:
    with language("en"):
        english = NotFoundError(kind, "X-1")
    with language("fr"):
        french = NotFoundError(kind, "X-1")
    assert english.message == f"{kind} X-1 not found"
    assert french.message != english.message
    assert "X-1" in french.message and "introuvable" in french.message
    assert french.kind == kind and french.key == "X-1"


@pytest.mark.parametrize("kind", sorted(errors.NOT_FOUND_WITHIN))
def test_each_kind_not_found_within_is_a_french_sentence(kind: str) -> None:
    with language("fr"):
        french = NotFoundError(kind, "3", within="COOP-2026-0001")
    assert "introuvable" in french.message
    assert "3" in french.message and "COOP-2026-0001" in french.message
    assert (french.kind, french.key, french.within) == (kind, "3", "COOP-2026-0001")


@pytest.mark.parametrize("kind", sorted({*errors.ALREADY_EXISTS, *errors.ALREADY_EXISTS_WITHIN}))
def test_each_kind_already_existing_is_a_french_sentence(kind: str) -> None:
    for within in (None, "bordeaux-metropole"):
        with language("en"):
            english = AlreadyExistsError(kind, "k-1", within=within)
        with language("fr"):
            french = AlreadyExistsError(kind, "k-1", within=within)
        assert "already exists" in english.message
        assert "existe déjà" in french.message and "k-1" in french.message
        if within is not None:
            assert within in french.message
        assert french.kind == kind


def test_the_french_of_a_kind_is_a_whole_sentence() -> None:
    with language("fr"):
        assert NotFoundError("partnership", "COOP-2026-0999").message == (
            "partenariat COOP-2026-0999 introuvable"
        )
        assert AlreadyExistsError("party", "la-cali").message == "la partie la-cali existe déjà"
        assert NotFoundError("programme", "2027", within="COOP-2026-0001").message == (
            "programme 2027 de COOP-2026-0001 introuvable"
        )


# ----------------------------------------------------------------------------- through the API


def test_a_partnership_with_a_missing_party_is_refused_in_french(cf: Coopflow) -> None:
    scenario.add_parties(cf, "bordeaux-metropole")
    with language("fr"), pytest.raises(NotFoundError) as caught:
        cf.create_partnership(
            "Coopération",
            scale="espace_regional",
            parties=["bordeaux-metropole", "nowhere"],
            home="bordeaux-metropole",
            responsible=scenario.STAFF.id,
            actor=scenario.STAFF,
        )
    exc = caught.value
    assert (exc.code, exc.kind, exc.key) == ("not_found", "party", "nowhere")
    assert exc.message.startswith("partie nowhere introuvable")


def test_an_invalid_date_is_refused_in_french(cf: Coopflow) -> None:
    ref = scenario.in_accueil(cf)
    with language("fr"), pytest.raises(ValidationError) as caught:
        cf.log_exchange(
            ref, date="2026-13-45", kind="reunion", summary="Rencontre", actor=scenario.STAFF
        )
    exc = caught.value
    assert (exc.code, exc.field, exc.exit_code) == ("invalid_input", "date", 2)
    assert exc.message == "date : '2026-13-45' n'est pas une date écrite AAAA-MM-JJ ou JJ/MM/AAAA"


@pytest.mark.parametrize(
    ("written", "day"),
    [("12/01/2022", "2022-01-12"), ("1/2/2023", "2023-02-01"), ("2022-01-12", "2022-01-12")],
)
def test_a_date_is_read_in_french_order_or_iso(written: str, day: str) -> None:
    assert v.date(written, "date").isoformat() == day


@pytest.mark.parametrize("written", ["31/02/2022", "12-01-2022", "2022/01/12", "2022-01-12\n"])
def test_a_date_in_no_known_form_is_refused_naming_both(written: str) -> None:
    with language("fr"):
        exc = raised(lambda: v.date(written, "date"))
    assert isinstance(exc, ValidationError) and exc.field == "date"
    assert exc.message == f"date : {written!r} n'est pas une date écrite AAAA-MM-JJ ou JJ/MM/AAAA"


def test_a_change_the_state_does_not_allow_is_refused_in_french(cf: Coopflow) -> None:
    ref = scenario.in_accueil(cf)

    def add_programme() -> None:
        cf.add_programme(ref, "2027", start="2027-01-01", end="2027-12-31", actor=scenario.STAFF)

    with language("fr"), pytest.raises(ValidationError) as caught:
        add_programme()
    exc = caught.value
    assert exc.field == "state"
    assert exc.message.startswith(
        f"state : l'ajout d'un programme de travail annuel n'est pas possible tant que {ref} "
        "est dans l'état "
    )
    assert "(possible dans : " in exc.message
    with language("en"), pytest.raises(ValidationError) as english:
        add_programme()
    assert english.value.message.startswith(
        f"state: adding an annual programme is not possible while {ref} is in state "
    )
    assert english.value.field == exc.field


def test_an_unregistered_actor_is_refused_in_french(cf: Coopflow) -> None:
    with language("fr"), pytest.raises(PermissionDenied) as caught:
        cf.add_party(
            "la-cali",
            "Communauté d'agglomération du Libournais",
            nature="CA",
            deliberative_body="conseil communautaire",
            executive_title="Président",
            actor=Actor("inconnu", "staff"),
        )
    exc = caught.value
    assert (exc.code, exc.actor, exc.event) == ("permission_denied", "inconnu", "party.put")
    assert exc.message.startswith(
        "inconnu n'est pas autorisé à party.put : inconnu n'est pas un acteur enregistré"
    )


def test_a_coopflow_with_a_french_locale_refuses_in_french(migrated_url: str) -> None:
    with Coopflow(migrated_url, locale="fr") as cf, pytest.raises(NotFoundError) as caught:
        cf.partnership("COOP-1999-0001")
    assert caught.value.message.startswith("partenariat COOP-1999-0001 introuvable")
    assert (caught.value.kind, caught.value.key) == ("partnership", "COOP-1999-0001")
    with Coopflow(migrated_url, locale="en") as cf, pytest.raises(NotFoundError) as english:
        cf.partnership("COOP-1999-0001")
    assert english.value.message.startswith("partnership COOP-1999-0001 not found")


def test_the_public_errors_are_those_of_coopflow_errors() -> None:
    for cls in error_classes():
        if cls.__name__ in coopflow.__all__:
            assert getattr(coopflow, cls.__name__) is cls
