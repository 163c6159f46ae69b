"""The language of what a person reads: French by default, English on request.

Every message a person reads (errors, guard reasons, the command line's help, table headers,
progress, ``verify``'s reports) is written in English in the source, wrapped in :func:`_`
(or :func:`ngettext`), and translated at run time from the gettext catalogs under
``coopflow/locale`` (managed with Babel: see the README's "Translations").  English is the
source language and needs no catalog.

The language is chosen, first to last: :func:`language` / :func:`set_language` (the command
line's ``--lang``, :class:`coopflow.Coopflow`'s ``locale``), ``COOPFLOW_LANG``, then ``LANG``;
anything else (``LANG=C``, unset) is French.  The choice lives in a context variable, so two
threads or tasks may speak two languages at once.

Strings that must be written before the language is known (the command line's help, defined
when its modules are imported) are marked with :func:`N_` and translated when shown.
"""

from __future__ import annotations

import contextvars
import functools
import gettext
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LANGUAGES = ("fr", "en")
"""The languages coopflow speaks, its default first."""

DEFAULT = "fr"
LANG_ENV = "COOPFLOW_LANG"
DOMAIN = "coopflow"
LOCALE_DIR = Path(__file__).parent / "locale"

_chosen: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "coopflow_language", default=None
)


def normalize(value: str | None) -> str | None:
    """``fr_FR.UTF-8`` → ``fr``, ``EN`` → ``en``; None for a language coopflow does not speak
    (``C``, ``de_DE``...)."""
    if not value:
        return None
    code = value.strip().split(".")[0].split("@")[0].replace("-", "_").split("_")[0].lower()
    return code if code in LANGUAGES else None


def from_environment() -> str:
    """``COOPFLOW_LANG``, then ``LANG``, then French."""
    return normalize(os.environ.get(LANG_ENV)) or normalize(os.environ.get("LANG")) or DEFAULT


def current() -> str:
    """The language messages are written in now."""
    return _chosen.get() or from_environment()


def set_language(code: str | None) -> None:
    """Speak ``code`` from now on in this context (None: back to the environment's)."""
    _chosen.set(_checked(code) if code is not None else None)


@contextmanager
def language(code: str | None) -> Iterator[str]:
    """Speak ``code`` inside the block (None: leave the language as it is)."""
    if code is None:
        yield current()
        return
    token = _chosen.set(_checked(code))
    try:
        yield current()
    finally:
        _chosen.reset(token)


def _checked(code: str) -> str:
    normalized = normalize(code)
    if normalized is None:
        from coopflow.errors import ValidationError

        raise ValidationError(
            _("unknown language {code!r}: coopflow speaks {languages}").format(
                code=code, languages=", ".join(LANGUAGES)
            ),
            field="locale",
        )
    return normalized


@functools.cache
def catalog(code: str) -> gettext.NullTranslations:
    """The compiled catalog of language ``code`` (English: the source itself)."""
    if code == "en":
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, localedir=LOCALE_DIR, languages=[code], fallback=True)


def _(message: str) -> str:
    """``message`` in the current language."""
    return catalog(current()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """``singular`` or ``plural`` for ``n``, in the current language."""
    return catalog(current()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark ``message`` for the catalogs without translating it yet (it is translated where
    it is shown, with :func:`_`)."""
    return message
