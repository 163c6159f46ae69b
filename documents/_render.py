"""Render snapshots to HTML (Jinja2) and to deterministic PDF/A-3 (WeasyPrint).

A :class:`Renderer` builds its Jinja environment, its WeasyPrint font configuration, stylesheet
and URL fetcher once, and reuses them for every document it renders.  The same snapshot with the
same templates at the same moment of production gives byte-identical PDFs in any process: the
PDF's dates are the moment it was produced (given, and stored with it),
its file identifier from the snapshot's and templates' hashes, and the font subsets are named
from the fonts themselves.  Only the package's fonts are ever embedded: a snapshot with a
character they cannot print is refused before rendering, and a PDF that would embed a font of
the host machine (fontconfig's fallback) is refused before it is written (see :mod:`._fonts`).

A render is bounded: in pages (``max_pages``, checked after WeasyPrint's layout, and before it on
the length of the HTML a template writes) and in time (``max_seconds``: Jinja, WeasyPrint's
layout and the PDF's writing run in a thread of their own, stopped when they outlast it; see
:class:`_RenderThread`).
"""

from __future__ import annotations

import contextvars
import ctypes
import datetime as _dt
import functools
import gc
import hashlib
import io
import multiprocessing
import threading
import time
from collections.abc import Callable, Generator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Final, Generic, TypeVar, cast

import jinja2
import weasyprint
from coopflow._canonical import canonical_bytes
from coopflow._i18n import _, ngettext
from coopflow.errors import CoopflowError, DocumentError, TemplateError, ValidationError
from jinja2 import meta
from jinja2.sandbox import ImmutableSandboxedEnvironment
from weasyprint.css import ColorProfile
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import FatalURLFetchingError

from . import _french as fr
from ._assets import ASSET_BASE_URL, STATIC_DIR, TEMPLATES_DIR, AssetFetcher, AssetRefusedError
from ._fonts import check_embedded_fonts, check_printable
from ._validate import validate_snapshot
from ._views import View, build_view
from .snapshot import Snapshot

#: The PDF variant written: PDF/A-3, level A (tagged, accessible), which allows attachments.
PDF_VARIANT: Final = "pdf/a-3a"
#: The name of the attached snapshot inside the PDF.
SNAPSHOT_ATTACHMENT: Final = "snapshot.json"
MAX_PAGES: Final = 500  # a protocol is 10 pages, a programme 30: more is a runaway template
#: The characters of HTML a template may write for each page allowed (the densest built-in
#: document writes about 2,600 a page): more than ``max_pages`` times this is refused before
#: WeasyPrint sees it, since a runaway loop would otherwise fill the memory before the time limit.
HTML_PER_PAGE: Final = 10_000
MAX_SECONDS: Final = 120.0  # a programme renders in a second: two minutes is a runaway template
#: The longest time limit accepted, in seconds (a day): more is a mistake, not a limit.
LONGEST_RENDER: Final = 86_400
#: After the time limit, how long the caller waits for the render to stop (a call into C, such
#: as Pango shaping one paragraph, finishes first), and how often it asks again meanwhile.
STOP_GRACE: Final = 1.0
STOP_RETRY: Final = 0.1
#: The name of the sRGB output intent's colour profile (not "srgb": WeasyPrint would then load
#: its own copy of the profile, leaving the file open).
OUTPUT_INTENT: Final = "coopflow-srgb"
#: The stylesheet, looked up in an organisation's template folder first, then in the package.
STYLESHEET: Final = "coopflow.css"

TEMPLATE_NAMES: Final = {
    "protocole": "protocole.html.j2",
    "programme": "programme.html.j2",
    "avenant": "avenant.html.j2",
    "consolide": "protocole.html.j2",  # the protocol as amended: the same template
}

FILTERS: Final[Mapping[str, Callable[..., Any]]] = {
    "french_date": fr.french_date,
    "french_amount": fr.french_amount,
    "french_number": fr.french_number,
    "number_in_words": fr.number_in_words,
    "capfirst": fr.capitalise,
    "with_article": fr.with_article,
    "title_with_article": fr.title_with_article,
    "de": fr.of_name,
    "de_article": fr.of_running,
    "paragraphs": fr.paragraphs,
    "sentence": fr.sentence,
    "nbsp": fr.no_break,
}


@dataclass(frozen=True, slots=True)
class RenderedDocument:
    """A rendered PDF/A-3 document and what a stored copy must record about it."""

    pdf: bytes
    sha256: str  # hex sha256 of pdf
    size: int
    template_name: str  # "protocole.html.j2"
    template_sha256: str  # sha256 of the template sources used (template, includes, stylesheet)
    title: str  # the PDF's title metadata


def snapshot_json(snapshot: Mapping[str, Any]) -> bytes:
    """The canonical JSON of a snapshot: sorted keys, UTF-8, no insignificant whitespace.

    These exact bytes are attached to the PDF as ``snapshot.json``; hashing them identifies the
    data a document was produced from.
    """
    try:
        return canonical_bytes(snapshot)
    except (TypeError, ValueError) as error:
        raise ValidationError(
            _("not JSON-serialisable: {error}").format(error=error), field="snapshot"
        ) from None


class _RecordingLoader(jinja2.BaseLoader):
    """Delegate to another loader and keep the source of every template it loaded.

    With ``auto_reload`` off, the environment loads each template once: the recorded source is
    exactly the one compiled, so hashing it names the template version used.
    """

    def __init__(self, inner: jinja2.BaseLoader) -> None:
        self._inner = inner
        self.sources: dict[str, str] = {}

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str | None, Callable[[], bool] | None]:
        source, filename, uptodate = self._inner.get_source(environment, template)
        self.sources[template] = source
        return source, filename, uptodate


class _FolderLoader(jinja2.FileSystemLoader):
    """An organisation's template folder: only regular files inside it, never a link.

    A template, an include or a stylesheet reached through a symbolic link (``leak.txt ->
    /etc/passwd``), or a path that leaves the folder, is refused with the template's name:
    what the PDF prints comes from files the folder holds."""

    def __init__(self, folder: Path) -> None:
        super().__init__(folder)
        self._folder = folder.resolve()

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        pieces = jinja2.loaders.split_template_path(template)  # refuses ".."
        path = self._folder.joinpath(*pieces)
        for part in (path, *path.parents):
            if part == self._folder:
                break
            if part.is_symlink():
                raise jinja2.TemplateError(
                    _(
                        "{template}: a template is read only from a regular file inside the "
                        "organisation's folder, not through a link"
                    ).format(template=template)
                )
        if path.exists() and not path.is_file():
            raise jinja2.TemplateError(
                _("{template}: not a regular file").format(template=template)
            )
        return super().get_source(environment, template)


def _folder_files(folder: Path) -> list[tuple[str, bytes]]:
    """Every regular file of ``folder`` (links left out), by relative path."""
    files = []
    for path in sorted(folder.rglob("*")):
        if path.is_symlink() or not path.is_file():
            continue
        if any(parent.is_symlink() for parent in path.relative_to(folder).parents if parent.name):
            continue
        files.append((path.relative_to(folder).as_posix(), path.read_bytes()))
    return files


def production_moment(when: _dt.datetime | None = None) -> _dt.datetime:
    """The moment a document is produced, as its PDF records it: UTC, to the second (``when``,
    or now).  A naive ``when`` is refused: the moment of a legal document is never a guess."""
    if when is None:
        when = _dt.datetime.now(_dt.UTC)
    elif not isinstance(when, _dt.datetime) or when.tzinfo is None:
        raise ValidationError(
            _("{when!r} is not a timezone-aware date and time").format(when=when),
            field="produced_at",
        )
    return when.astimezone(_dt.UTC).replace(microsecond=0)


class Renderer:
    """Renders snapshots with the built-in templates, or with an organisation's own.

    ``template_dir=None`` uses the package's templates in a plain Jinja environment.  With a
    folder, its templates (and its ``coopflow.css``, if any) are used in an immutable sandbox,
    each missing one falling back to the built-in one.  Both environments autoescape and use
    ``StrictUndefined``.  The Jinja environment, WeasyPrint's font configuration, stylesheet and
    URL fetcher are built once here and reused by every render.  Renders through one renderer
    are serialised by a lock (WeasyPrint's font machinery is not thread-safe): for parallelism,
    use processes (:func:`render_many`).

    ``max_pages`` (500) bounds a document's length and ``max_seconds`` (120) the time one render
    may take (the template, WeasyPrint's layout and the PDF's writing): a document longer, or a
    render slower, is a :class:`~coopflow.errors.TemplateError` that says which limit it passed.
    A render runs in a thread of its own, which is stopped when it outlasts ``max_seconds`` (a
    loop in a template or in WeasyPrint's layout stops at once; a call into C finishes first).
    """

    def __init__(
        self,
        template_dir: Path | None = None,
        *,
        max_pages: int = MAX_PAGES,
        max_seconds: float = MAX_SECONDS,
    ) -> None:
        if isinstance(max_pages, bool) or not isinstance(max_pages, int) or max_pages < 1:
            raise ValidationError(
                _("{max_pages!r} is not a number of pages").format(max_pages=max_pages),
                field="max_pages",
            )
        self._max_pages = max_pages
        self._max_seconds = render_seconds(max_seconds, "max_seconds")
        builtin = jinja2.FileSystemLoader(TEMPLATES_DIR)
        stylesheet = STATIC_DIR / STYLESHEET
        self._sandboxed = template_dir is not None
        self._folders = [TEMPLATES_DIR]
        if template_dir is not None:
            folder = Path(template_dir)
            if not folder.is_dir():
                raise ValidationError(
                    _("{folder} is not a folder").format(folder=folder), field="template_dir"
                )
            self._folders = [folder, TEMPLATES_DIR]
            if (folder / STYLESHEET).is_symlink():
                raise TemplateError(STYLESHEET, _("the stylesheet is a link, not a regular file"))
            self._loader = _RecordingLoader(jinja2.ChoiceLoader([_FolderLoader(folder), builtin]))
            environment: jinja2.Environment = ImmutableSandboxedEnvironment(
                loader=self._loader,
                autoescape=True,
                undefined=jinja2.StrictUndefined,
                auto_reload=False,
                trim_blocks=True,
                lstrip_blocks=True,
            )
            if (folder / STYLESHEET).is_file():
                stylesheet = folder / STYLESHEET
        else:
            self._loader = _RecordingLoader(builtin)
            environment = jinja2.Environment(
                loader=self._loader,
                autoescape=True,
                undefined=jinja2.StrictUndefined,
                auto_reload=False,
                trim_blocks=True,
                lstrip_blocks=True,
            )
        environment.filters.update(FILTERS)
        self._env = environment
        try:
            self._css_source = stylesheet.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise TemplateError(
                STYLESHEET,
                _("cannot read {stylesheet}: {error}").format(stylesheet=stylesheet, error=error),
            ) from None
        self._fetcher = AssetFetcher()
        self._font_config = FontConfiguration()
        try:
            self._css = weasyprint.CSS(
                string=self._css_source,
                base_url=ASSET_BASE_URL,
                url_fetcher=self._fetcher,
                font_config=self._font_config,
            )
        except FatalURLFetchingError as error:
            raise TemplateError(STYLESHEET, _refusal(error)) from None
        self._output_intent = _srgb_profile()
        self._digests: dict[str, str] = {}
        self._lock = threading.Lock()

    @property
    def sandboxed(self) -> bool:
        """Whether templates run in Jinja's immutable sandbox (an organisation's templates)."""
        return self._sandboxed

    def template_sha256(self, kind: str) -> str:
        """The ``template_sha256`` a document of ``kind`` rendered now would record.

        Lets a caller tell, without rendering, whether a stored document was produced with the
        current templates.  Raises ``ValidationError`` for an unknown kind and ``TemplateError``
        for templates that cannot be loaded.
        """
        name = TEMPLATE_NAMES.get(kind)
        if name is None:
            known = ", ".join(repr(known) for known in TEMPLATE_NAMES)
            raise ValidationError(
                _("unknown document kind {kind!r} (known: {known})").format(kind=kind, known=known),
                field="kind",
            )
        with self._lock:
            return self._template_digest(name)

    def render_html(self, snapshot: Snapshot, *, produced_at: _dt.datetime | None = None) -> str:
        """Render ``snapshot`` to the HTML that :meth:`render` turns into a PDF.

        Raises :class:`~coopflow.errors.ValidationError` for a malformed snapshot (the message
        names the key) and :class:`~coopflow.errors.TemplateError` for a template that fails.
        """
        when = production_moment(produced_at)
        return self._bounded(snapshot, lambda: self._html(snapshot, when)[0])

    def render(
        self, snapshot: Snapshot, *, produced_at: _dt.datetime | None = None
    ) -> RenderedDocument:
        """Render ``snapshot`` to a PDF/A-3 with the canonical snapshot JSON attached.

        ``produced_at`` (timezone-aware; now if omitted) is the moment the document is produced:
        the PDF's creation and modification dates, to the second.  The same snapshot, templates
        and moment give the same bytes; a stored document records its moment as ``created_at``.

        Raises :class:`~coopflow.errors.ValidationError` for a malformed snapshot or one holding
        a character that the shipped fonts cannot print (the message names the key and the
        character), :class:`~coopflow.errors.TemplateError` for a failing template (including
        one that asks for a resource other than coopflow's own assets, or whose text would be
        printed with a font of the host machine, or a document longer than ``max_pages`` or
        slower to render than ``max_seconds``) and :class:`~coopflow.errors.DocumentError` if
        WeasyPrint fails.
        """
        when = production_moment(produced_at)
        return self._bounded(snapshot, lambda: self._render(snapshot, when))

    def _bounded(self, snapshot: Snapshot, call: Callable[[], _T]) -> _T:
        """``call()``, under the renderer's lock, in a thread of its own stopped at the time
        limit: then a TemplateError naming the limit, even if the thread is still in a call
        into C (it releases the lock when it ends)."""
        self._lock.acquire()
        try:
            thread = _RenderThread(call, self._lock.release)
            thread.start()
        except BaseException:
            self._lock.release()
            raise
        try:
            thread.join(self._max_seconds)
            if thread.is_alive():
                give_up = time.monotonic() + STOP_GRACE
                while thread.interrupt() and time.monotonic() < give_up:
                    thread.join(STOP_RETRY)
        except BaseException:  # KeyboardInterrupt while waiting: stop the render too
            thread.interrupt()
            raise
        return thread.outcome(lambda: self._too_slow(snapshot))

    def _too_slow(self, snapshot: Snapshot) -> TemplateError:
        kind = snapshot.get("kind") if isinstance(snapshot, Mapping) else None
        name = TEMPLATE_NAMES.get(kind, "?") if isinstance(kind, str) else "?"
        return TemplateError(
            name,
            ngettext(
                "the document took longer than {seconds} second to render and was stopped (the "
                "time allowed: max_seconds of the Renderer, render_timeout of Coopflow, "
                "COOPFLOW_RENDER_TIMEOUT on the command line)",
                "the document took longer than {seconds} seconds to render and was stopped (the "
                "time allowed: max_seconds of the Renderer, render_timeout of Coopflow, "
                "COOPFLOW_RENDER_TIMEOUT on the command line)",
                1 if self._max_seconds == 1 else 2,
            ).format(seconds=f"{self._max_seconds:g}"),
        )

    def _render(self, snapshot: Snapshot, when: _dt.datetime) -> RenderedDocument:
        html, view, template_name = self._html(snapshot, when, printed=True)
        payload = snapshot_json(snapshot)
        template_digest = self._template_digest(template_name)
        identifier = hashlib.sha256(
            payload + template_digest.encode() + when.isoformat().encode()
        ).hexdigest()[:32]
        try:
            document = weasyprint.HTML(
                string=html, base_url=ASSET_BASE_URL, url_fetcher=self._fetcher
            ).render(font_config=self._font_config, stylesheets=[self._css])
            if len(document.pages) > self._max_pages:
                raise TemplateError(
                    template_name,
                    _(
                        "the document would have {n} pages, more than the {max_pages} allowed "
                        "(max_pages)"
                    ).format(n=len(document.pages), max_pages=self._max_pages),
                )
            metadata = document.metadata
            # The metadata come from the snapshot, whatever a custom template's <head> says.
            metadata.title = view.meta.title
            metadata.authors = [view.meta.author]
            metadata.description = view.meta.footer
            metadata.keywords = []
            metadata.generator = "coopflow"
            metadata.lang = "fr"
            metadata.created = metadata.modified = when.strftime("%Y-%m-%dT%H:%M:%SZ")
            metadata.attachments = []  # only the snapshot travels inside the document
            metadata.custom = {}
            document.color_profiles[OUTPUT_INTENT] = self._output_intent
            attachment = weasyprint.Attachment(
                string=payload,
                name=SNAPSHOT_ATTACHMENT,
                description="Données à partir desquelles coopflow a produit ce document",
                created=when,
                modified=when,
                relationship="Data",
                url_fetcher=self._fetcher,
            )
            pdf: bytes = document.write_pdf(
                pdf_variant=PDF_VARIANT,
                pdf_identifier=identifier.encode(),
                attachments=[attachment],
                output_intent=OUTPUT_INTENT,
                finisher=functools.partial(_finish_pdf, template_name),
            )
        except FatalURLFetchingError as error:
            raise TemplateError(template_name, _refusal(error)) from None
        except CoopflowError:
            raise
        except Exception as error:
            raise DocumentError(
                _("WeasyPrint could not render {template_name}: {type}: {error}").format(
                    template_name=template_name, type=type(error).__name__, error=error
                )
            ) from error
        return RenderedDocument(
            pdf=pdf,
            sha256=hashlib.sha256(pdf).hexdigest(),
            size=len(pdf),
            template_name=template_name,
            template_sha256=template_digest,
            title=view.meta.title,
        )

    def _html(
        self, snapshot: Snapshot, when: _dt.datetime, *, printed: bool = False
    ) -> tuple[str, View, str]:
        checked = validate_snapshot(snapshot)
        if printed:  # the HTML alone does not depend on fonts: only a PDF is refused
            check_printable(checked)
        view = build_view(checked, when)
        template_name = TEMPLATE_NAMES[checked["kind"]]
        try:
            template = self._env.get_template(template_name)
            html = self._written(template, template_name, doc=view, snapshot=checked)
        except jinja2.TemplateSyntaxError as error:
            where = error.name or template_name
            raise TemplateError(
                where,
                _("line {lineno}: {message}").format(lineno=error.lineno, message=error.message),
            ) from None
        except jinja2.TemplateNotFound as error:
            raise TemplateError(
                template_name, _("template {name!r} not found").format(name=error.name)
            ) from None
        except jinja2.TemplateError as error:  # UndefinedError, SecurityError...
            raise TemplateError(
                template_name, _("{type}: {error}").format(type=type(error).__name__, error=error)
            ) from None
        except CoopflowError:
            raise
        except Exception as error:
            raise TemplateError(
                template_name, _("{type}: {error}").format(type=type(error).__name__, error=error)
            ) from error
        return html, view, template_name

    def _written(self, template: jinja2.Template, template_name: str, **context: Any) -> str:
        """What ``template`` writes (as ``render`` would), refused as soon as it is longer than
        ``max_pages`` pages of HTML could be (``HTML_PER_PAGE`` characters each)."""
        most = self._max_pages * HTML_PER_PAGE
        pieces: list[str] = []
        length = 0
        stream = cast(Generator[str, None, None], template.generate(**context))
        try:
            for piece in stream:
                length += len(piece)
                if length > most:
                    raise TemplateError(
                        template_name,
                        _(
                            "the template wrote more than {most:,} characters of HTML, more than "
                            "the {max_pages} pages allowed (max_pages) would hold"
                        ).format(most=most, max_pages=self._max_pages),
                    )
                pieces.append(piece)
        finally:
            stream.close()
        return "".join(pieces)

    def _template_digest(self, template_name: str) -> str:
        """sha256 over the sources of the template, everything it includes, and the stylesheet."""
        cached = self._digests.get(template_name)
        if cached is not None:
            return cached
        seen: set[str] = set()
        dynamic = False
        pending = [template_name]
        try:
            while pending:
                name = pending.pop()
                if name in seen:
                    continue
                seen.add(name)
                self._env.get_template(name)  # loads (and records) it once
                ast = self._env.parse(self._loader.sources[name])
                referenced = list(meta.find_referenced_templates(ast))
                # A name computed at render time (None) cannot be known here.
                dynamic = dynamic or None in referenced
                pending.extend(ref for ref in referenced if ref)
        except jinja2.TemplateError as error:
            raise TemplateError(
                template_name, _("{type}: {error}").format(type=type(error).__name__, error=error)
            ) from None
        digest = hashlib.sha256()
        if dynamic:
            # Whatever it may include: every file of the folders (the organisation's first).
            for i, folder in enumerate(self._folders):
                for name, data in _folder_files(folder):
                    digest.update(f"{i}:{name}\n{len(data)}\n".encode() + data)
        else:
            for name in sorted(seen):
                source = self._loader.sources[name].encode()
                digest.update(f"{name}\n{len(source)}\n".encode() + source)
        css = self._css_source.encode()
        digest.update(f"{STYLESHEET}\n{len(css)}\n".encode() + css)
        self._digests[template_name] = result = digest.hexdigest()
        return result


def render_seconds(value: object, field: str) -> float:
    """``value`` as a time limit in seconds: a number more than 0 and at most a day."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not 0 < value <= LONGEST_RENDER
    ):
        raise ValidationError(
            _("{value!r} is not a number of seconds more than 0 and at most {limit}").format(
                value=value, limit=LONGEST_RENDER
            ),
            field=field,
        )
    return float(value)


_T = TypeVar("_T")


class _Interrupted(BaseException):
    """Raised inside a render's thread when the render outlasted its time.

    A ``BaseException``, so that no ``except Exception`` of Jinja, WeasyPrint or coopflow takes
    it for a failure of its own and carries on."""


def _raise_in(thread_id: int, exception: type[BaseException] | None) -> None:
    """Raise ``exception`` in the thread ``thread_id`` at its next Python instruction, or with
    ``None`` take back one not raised yet (CPython's ``PyThreadState_SetAsyncExc``)."""
    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(thread_id), None if exception is None else ctypes.py_object(exception)
    )


class _RenderThread(threading.Thread, Generic[_T]):
    """One render, in a thread of its own that the caller can stop.

    Why a thread: to stop a render that loops in pure Python (a template's nested loops,
    WeasyPrint laying out thousands of pages), :class:`_Interrupted` is raised inside it
    (:func:`_raise_in`).  Raised in the caller's own thread, such an exception could land in the
    caller's code after the render; here it only ever lands in this thread, which coopflow owns
    and which ends with the render, and the caller stops waiting at the limit even if the render
    is in a long call into C.  ``_state`` orders the caller's :meth:`interrupt` and the end of the
    render (:meth:`_finish`): once the render has ended, nothing more is raised in the thread, and
    an interruption not yet raised is taken back, so that none reaches ``threading``'s own code.
    The render runs in a copy of the caller's context variables (``decimal``'s context...).

    ``release`` (the renderer's lock) is called when the thread ends, not when the caller stops
    waiting: a render still in a call into C after the limit keeps the renderer (its WeasyPrint
    font configuration) until it stops.
    """

    def __init__(self, call: Callable[[], _T], release: Callable[[], None]) -> None:
        super().__init__(name="coopflow-render", daemon=True)
        self._call = call
        self._context = contextvars.copy_context()
        self._release = release
        self._state = threading.Lock()
        self._running = True
        self._interrupted = False
        self._result: list[_T] = []
        self._error: BaseException | None = None

    def run(self) -> None:
        try:
            try:
                self._result.append(self._context.run(self._call))
            except BaseException as error:  # carried to the caller's thread
                self._error = error
            finally:
                self._finish()
        except _Interrupted:  # raised on the way out, before _finish had taken the lock
            self._finish()
        finally:
            self._release()

    def _finish(self) -> None:
        with self._state:
            self._running = False
            if self._interrupted:
                _raise_in(threading.get_ident(), None)

    def interrupt(self) -> bool:
        """Stop the render at its next Python instruction; ``False`` once it has ended."""
        with self._state:
            if not self._running or self.ident is None:
                return False
            self._interrupted = True
            _raise_in(self.ident, _Interrupted)
            return True

    def outcome(self, too_slow: Callable[[], CoopflowError]) -> _T:
        """The render's result, or its error; ``too_slow()`` if it was stopped (or is still
        stopping) because it outlasted its time."""
        with self._state:
            running, interrupted = self._running, self._interrupted
        if running:
            raise too_slow()
        if self._result:
            return self._result[0]
        error, self._error = self._error, None
        assert error is not None, "a render that ended returned or raised"
        if interrupted:
            raise too_slow() from None
        try:
            raise error
        finally:
            del error


class _IccProfile(ColorProfile):  # type: ignore[misc]  # weasyprint ships no type information
    """A colour profile whose bytes are the ICC file's own, identical at every render.

    WeasyPrint re-serialises a profile through LittleCMS each time it writes one, and the bytes
    differ between the first and later writes in a process: that would make the same snapshot
    give different PDFs depending on what a renderer rendered before.
    """

    def __init__(self, data: bytes, name: str) -> None:
        super().__init__(io.BytesIO(data), name, "relative-colorimetric", (["r"], ["g"], ["b"]))
        self._data = data

    @property
    def content(self) -> bytes:
        """The ICC profile, as shipped."""
        return self._data


def _srgb_profile() -> _IccProfile:
    """The sRGB profile of the PDF/A output intent (the sRGB2014.icc WeasyPrint ships)."""
    data = (resources.files("weasyprint.pdf") / "sRGB2014.icc").read_bytes()
    return _IccProfile(data, "sRGB2014.icc")


def _finish_pdf(template_name: str, document: Any, pdf: Any) -> None:
    """Last checks and touches on WeasyPrint's PDF objects, before it writes them.

    Every font the document uses must be one of the package's (see
    :func:`._fonts.check_embedded_fonts`).  WeasyPrint 70 lists each attachment twice in the
    catalog's ``/AF`` (associated files) array, once from the embedded-files name tree and once
    from the file specification itself: keep each reference once.  The page furniture (the
    margin boxes) becomes pagination artifacts, out of the structure tree (see ._tagging).
    """
    check_embedded_fonts(document.fonts.values(), template_name)
    associated = pdf.catalog.get("AF")
    if associated is not None:
        associated[:] = list(dict.fromkeys(associated))
    from ._tagging import tag_furniture  # only the finisher uses it

    tag_furniture(document, pdf)


def _refusal(error: FatalURLFetchingError) -> str:
    cause = error.__cause__
    if isinstance(cause, AssetRefusedError):
        return str(cause)
    return f"{error} ({type(cause).__name__}: {cause})" if cause else str(error)


# --- Parallel rendering -------------------------------------------------------------------

_worker_renderer: Renderer | None = None


def _init_worker(template_dir: Path | None, max_seconds: float) -> None:
    global _worker_renderer  # noqa: PLW0603 - one renderer per worker process, built once
    _worker_renderer = Renderer(template_dir, max_seconds=max_seconds)
    # The worker process is coopflow's own: keep the cyclic garbage collector off the modules
    # and the renderer built so far, and let it run less often.  WeasyPrint allocates many
    # short-lived objects, and with two processes on two cores the collector's passes over
    # the whole heap cost more in memory traffic than they free.
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)


@dataclass(frozen=True, slots=True)
class _Failure:
    """A coopflow error raised in a worker, carried back by value (its __init__ differs)."""

    error_type: type[CoopflowError]
    state: dict[str, Any]
    message: str


def _render_in_worker(item: tuple[Snapshot, _dt.datetime]) -> RenderedDocument | _Failure:
    assert _worker_renderer is not None, "the pool initializer builds the renderer"
    snapshot, when = item
    try:
        return _worker_renderer.render(snapshot, produced_at=when)
    except CoopflowError as error:
        return _Failure(type(error), dict(vars(error)), str(error))


def _rebuild(failure: _Failure) -> CoopflowError:
    error = BaseException.__new__(failure.error_type)
    Exception.__init__(error, failure.message)
    vars(error).update(failure.state)
    return error


def render_many(
    snapshots: Sequence[Snapshot],
    *,
    workers: int = 1,
    template_dir: Path | None = None,
    produced_at: _dt.datetime | None = None,
    max_seconds: float = MAX_SECONDS,
) -> list[RenderedDocument]:
    """Render several snapshots, in input order, all produced at the moment ``produced_at``
    (now if omitted: see :meth:`Renderer.render`).

    With ``workers > 1`` the documents are rendered by a pool of that many processes (started
    with ``spawn``), each building its :class:`Renderer` once.  Each document may take at most
    ``max_seconds`` to render (see :class:`Renderer`).  The first document that fails raises its
    coopflow error, with a note naming its position.
    """
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValidationError(
            _("expected a positive integer, got {workers!r}").format(workers=workers),
            field="workers",
        )
    max_seconds = render_seconds(max_seconds, "max_seconds")
    when = production_moment(produced_at)
    items = list(snapshots)
    if template_dir is not None and not Path(template_dir).is_dir():
        raise ValidationError(
            _("{template_dir} is not a folder").format(template_dir=template_dir),
            field="template_dir",
        )
    if workers == 1 or len(items) <= 1:
        renderer = Renderer(template_dir, max_seconds=max_seconds)
        results = []
        for index, snapshot in enumerate(items):
            try:
                results.append(renderer.render(snapshot, produced_at=when))
            except CoopflowError as error:
                error.add_note(f"while rendering snapshot {index} of {len(items)}")
                raise
        return results
    processes = min(workers, len(items))
    chunk = max(1, len(items) // (processes * 4))
    try:
        with ProcessPoolExecutor(
            max_workers=processes,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker,
            initargs=(template_dir, max_seconds),
        ) as pool:
            work = [(snapshot, when) for snapshot in items]
            outcomes = list(pool.map(_render_in_worker, work, chunksize=chunk))
    except BrokenProcessPool as error:
        raise DocumentError(_("a rendering process died: {error}").format(error=error)) from error
    rendered: list[RenderedDocument] = []
    for index, outcome in enumerate(outcomes):
        if isinstance(outcome, _Failure):
            failed = _rebuild(outcome)
            failed.add_note(f"while rendering snapshot {index} of {len(items)}")
            raise failed
        rendered.append(outcome)
    return rendered
