"""The public surface is small and pinned: changing it is a deliberate act."""

from __future__ import annotations

import inspect

import coopflow

EXPECTED = {
    "ROLES",
    "ActionInfo",
    "BudgetLineInfo",
    "DeliberationInfo",
    "ExchangeInfo",
    "IndicatorInfo",
    "MilestoneInfo",
    "ProgrammeInfo",
    "ProgrammeRequired",
    "Reason",
    "language",
    "set_language",
    "Actor",
    "ActorInfo",
    "AlreadyExistsError",
    "ApplyReport",
    "BundleReport",
    "CheckpointFile",
    "CheckpointInfo",
    "CheckpointSettings",
    "ConcurrentModificationError",
    "Coopflow",
    "CoopflowError",
    "Deadline",
    "DialogueExchangeInfo",
    "DialogueInfo",
    "DialogueSummary",
    "DocumentError",
    "DocumentInfo",
    "ExtensionError",
    "EventInputInfo",
    "EventStatus",
    "FinalDocument",
    "FireContext",
    "FireResult",
    "GuardFailed",
    "HookError",
    "EvidenceError",
    "OutputError",
    "ProtectionsOff",
    "IntegrityError",
    "InvalidWorkflowError",
    "JournalEntry",
    "NewPartnership",
    "NotFoundError",
    "PartnershipInfo",
    "PartyInfo",
    "PermissionDenied",
    "Problem",
    "Refusal",
    "Registry",
    "SchemaOutOfDateError",
    "ScriptError",
    "ScriptFailed",
    "TemplateError",
    "TransitionNotAllowed",
    "UnknownEventError",
    "ValidationError",
    "VerifyReport",
    "Workflow",
    "__version__",
    "alembic_include_object",
    "apply_script",
    "verify_bundle",
    "configure_sqlite",
    "downgrade_schema",
    "metadata",
    "migrate",
}


def test_public_names_are_pinned() -> None:
    assert set(coopflow.__all__) == EXPECTED
    for name in coopflow.__all__:
        assert hasattr(coopflow, name), name


def test_every_error_derives_from_the_base_error() -> None:
    errors = [getattr(coopflow, n) for n in coopflow.__all__ if n.endswith("Error")]
    errors += [coopflow.GuardFailed, coopflow.PermissionDenied, coopflow.TransitionNotAllowed]
    for cls in errors:
        assert inspect.isclass(cls) and issubclass(cls, coopflow.CoopflowError), cls


def test_fire_signature() -> None:
    params = inspect.signature(coopflow.Coopflow.fire).parameters
    assert list(params)[:4] == ["self", "reference", "event", "actor"]
    for keyword in ("comment", "data", "programme", "expected_version"):
        assert params[keyword].kind is inspect.Parameter.KEYWORD_ONLY
