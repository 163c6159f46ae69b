"""coopflow: a workflow engine for the contractualisation lifecycle of territorial cooperation.

The public API is what this module exports; everything in a module whose name starts with
``_`` is private and may change.

>>> import coopflow
>>> cf = coopflow.Coopflow("sqlite:///coopflow.db")          # doctest: +SKIP
"""

from __future__ import annotations

from ._api import Coopflow, downgrade_schema, migrate
from ._context import Actor, FireContext
from ._db import configure_sqlite
from ._documents import DocumentInfo
from ._journal import Problem, VerifyReport
from ._migrate import alembic_include_object
from ._script import ApplyReport, ScriptError, ScriptFailed, apply_script
from ._views import (
    Deadline,
    EventInputInfo,
    EventStatus,
    FinalDocument,
    FireResult,
    JournalEntry,
    PartnershipInfo,
    PartyInfo,
    Refusal,
)
from ._workflow import ROLES, Registry, Workflow
from .errors import (
    AlreadyExistsError,
    ConcurrentModificationError,
    CoopflowError,
    DocumentError,
    ExtensionError,
    GuardFailed,
    HookError,
    IntegrityError,
    InvalidWorkflowError,
    NotFoundError,
    PermissionDenied,
    SchemaOutOfDateError,
    TemplateError,
    TransitionNotAllowed,
    UnknownEventError,
    ValidationError,
)
from .models import metadata

__version__ = "0.1.0"

__all__ = [
    "ROLES",
    "Actor",
    "AlreadyExistsError",
    "ApplyReport",
    "ConcurrentModificationError",
    "Coopflow",
    "CoopflowError",
    "Deadline",
    "DocumentError",
    "DocumentInfo",
    "EventInputInfo",
    "EventStatus",
    "ExtensionError",
    "FinalDocument",
    "FireContext",
    "FireResult",
    "GuardFailed",
    "HookError",
    "IntegrityError",
    "InvalidWorkflowError",
    "JournalEntry",
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
    "configure_sqlite",
    "downgrade_schema",
    "metadata",
    "migrate",
]
