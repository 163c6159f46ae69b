"""coopflow: a workflow engine for the contractualisation lifecycle of territorial cooperation.

The public API is what this module exports; everything in a module whose name starts with
``_`` is private and may change.

>>> import coopflow
>>> cf = coopflow.Coopflow("sqlite:///coopflow.db")          # doctest: +SKIP

The names are loaded on first use (PEP 562), so that ``import coopflow`` — and the
``coopflow`` command, ``--version`` and ``--help`` first — import neither SQLAlchemy nor
Alembic until a name that needs them is asked for.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: Each public name, and the private module that defines it.
_ORIGINS: dict[str, str] = {
    "Coopflow": "._api",
    "downgrade_schema": "._api",
    "migrate": "._api",
    "BundleReport": "._bundle",
    "verify_bundle": "._bundle",
    "CheckpointFile": "._checkpoint",
    "CheckpointSettings": "._checkpoint",
    "CheckpointInfo": "._views",
    "Actor": "._context",
    "FireContext": "._context",
    "configure_sqlite": "._db",
    "DocumentInfo": "._documents",
    "Problem": "._journal",
    "VerifyReport": "._journal",
    "alembic_include_object": "._migrate",
    "ActionInfo": "._domain.reading",
    "BudgetLineInfo": "._domain.reading",
    "DeliberationInfo": "._domain.reading",
    "ExchangeInfo": "._domain.reading",
    "IndicatorInfo": "._domain.reading",
    "MilestoneInfo": "._domain.reading",
    "ProgrammeInfo": "._domain.reading",
    "ApplyReport": "._script",
    "ScriptError": "._script",
    "ScriptFailed": "._script",
    "apply_script": "._script",
    "ActorInfo": "._views",
    "Deadline": "._views",
    "DialogueExchangeInfo": "._views",
    "DialogueInfo": "._views",
    "DialogueSummary": "._views",
    "EventInputInfo": "._views",
    "EventStatus": "._views",
    "FinalDocument": "._views",
    "FireResult": "._views",
    "JournalEntry": "._views",
    "NewPartnership": "._views",
    "PartnershipInfo": "._views",
    "PartyInfo": "._views",
    "Refusal": "._views",
    "ROLES": "._vocabulary",
    "Registry": "._workflow",
    "Workflow": "._workflow",
    "AlreadyExistsError": ".errors",
    "ConcurrentModificationError": ".errors",
    "CoopflowError": ".errors",
    "DocumentError": ".errors",
    "ExtensionError": ".errors",
    "GuardFailed": ".errors",
    "HookError": ".errors",
    "EvidenceError": ".errors",
    "OutputError": ".errors",
    "ProtectionsOff": ".errors",
    "IntegrityError": ".errors",
    "InvalidWorkflowError": ".errors",
    "NotFoundError": ".errors",
    "PermissionDenied": ".errors",
    "ProgrammeRequired": ".errors",
    "Reason": ".errors",
    "SchemaOutOfDateError": ".errors",
    "TemplateError": ".errors",
    "TransitionNotAllowed": ".errors",
    "UnknownEventError": ".errors",
    "ValidationError": ".errors",
    "metadata": ".models",
    "language": "._i18n",
    "set_language": "._i18n",
}

if TYPE_CHECKING:
    from ._api import Coopflow, downgrade_schema, migrate
    from ._bundle import BundleReport, verify_bundle
    from ._checkpoint import CheckpointFile, CheckpointSettings
    from ._context import Actor, FireContext
    from ._db import configure_sqlite
    from ._documents import DocumentInfo
    from ._domain.reading import (
        ActionInfo,
        BudgetLineInfo,
        DeliberationInfo,
        ExchangeInfo,
        IndicatorInfo,
        MilestoneInfo,
        ProgrammeInfo,
    )
    from ._i18n import language, set_language
    from ._journal import Problem, VerifyReport
    from ._migrate import alembic_include_object
    from ._script import ApplyReport, ScriptError, ScriptFailed, apply_script
    from ._views import (
        ActorInfo,
        CheckpointInfo,
        Deadline,
        DialogueExchangeInfo,
        DialogueInfo,
        DialogueSummary,
        EventInputInfo,
        EventStatus,
        FinalDocument,
        FireResult,
        JournalEntry,
        NewPartnership,
        PartnershipInfo,
        PartyInfo,
        Refusal,
    )
    from ._vocabulary import ROLES
    from ._workflow import Registry, Workflow
    from .errors import (
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
    from .models import metadata
else:

    def __getattr__(name: str) -> Any:
        """A public name, imported from its module on first use (and kept here after)."""
        origin = _ORIGINS.get(name)
        if origin is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(origin, __name__), name)
        globals()[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*globals(), *__all__})


__all__ = [
    "ROLES",
    "ActionInfo",
    "Actor",
    "ActorInfo",
    "AlreadyExistsError",
    "ApplyReport",
    "BudgetLineInfo",
    "BundleReport",
    "CheckpointFile",
    "CheckpointInfo",
    "CheckpointSettings",
    "ConcurrentModificationError",
    "Coopflow",
    "CoopflowError",
    "Deadline",
    "DeliberationInfo",
    "DialogueExchangeInfo",
    "DialogueInfo",
    "DialogueSummary",
    "DocumentError",
    "DocumentInfo",
    "EventInputInfo",
    "EventStatus",
    "EvidenceError",
    "ExchangeInfo",
    "ExtensionError",
    "FinalDocument",
    "FireContext",
    "FireResult",
    "GuardFailed",
    "HookError",
    "IndicatorInfo",
    "IntegrityError",
    "InvalidWorkflowError",
    "JournalEntry",
    "MilestoneInfo",
    "NewPartnership",
    "NotFoundError",
    "OutputError",
    "PartnershipInfo",
    "PartyInfo",
    "PermissionDenied",
    "Problem",
    "ProgrammeInfo",
    "ProgrammeRequired",
    "ProtectionsOff",
    "Reason",
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
    "configure_sqlite",
    "downgrade_schema",
    "language",
    "metadata",
    "migrate",
    "set_language",
    "verify_bundle",
]
