"""The demo run: a database (a fresh SQLite file of its own, or the host's), the demo script
applied, every protocol and programme rendered, the final documents exported."""

from __future__ import annotations

import importlib.resources
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from coopflow import (
    Actor,
    ApplyReport,
    Coopflow,
    DocumentInfo,
    PartnershipInfo,
    ValidationError,
    apply_script,
    migrate,
)
from coopflow._migrate import display_url
from coopflow._vocabulary import Kind

#: The demo script, relative to the ``coopflow`` package.
DEMO_SCRIPT = "demo/bordeaux.toml"
#: The demo's own SQLite file, in the output folder (recreated on every run).
DEMO_DB = "coopflow-demo.db"
#: Who renders the documents no event produces, and registers the demo's people: the first
#: admin of the demo's registry.
DEMO_ACTOR = Actor("coopflow-demo", "staff")
DEMO_ADMIN = Actor("coopflow-demo", "admin")

#: The people the demo script names (fictitious logins of real roles), with their roles.
DEMO_PEOPLE = {
    "marie.dupont": ("Marie Dupont", ("staff",)),  # chargée de coopération territoriale
    "claire.martin": ("Claire Martin", ("legal",)),  # service juridique
    "jean-marc.lacoste": ("Jean-Marc Lacoste", ("elected",)),  # signs for the metropolis
}


@dataclass(frozen=True, slots=True)
class DemoResult:
    """What :func:`run_demo` did: the database, the script's report, each partnership, the
    current documents of each and the files exported."""

    database: str  # its URL, password hidden
    report: ApplyReport
    partnerships: tuple[PartnershipInfo, ...]
    documents: dict[str, tuple[str, ...]]  # reference -> "kind subject vN status", current ones
    files: tuple[Path, ...]  # every PDF and manifest written, in export order

    @property
    def exports(self) -> dict[str, Path]:
        """Each exported partnership's folder (``OUT/export/<reference>``), by reference."""
        return {f.parent.name: f.parent for f in self.files if f.suffix == ".json"}


def _label(doc: DocumentInfo) -> str:
    return " ".join(x for x in (doc.kind, doc.subject, f"v{doc.version}", doc.status) if x)


def _fresh_database(out: Path) -> str:
    """The URL of the demo's own SQLite file in ``out``, deleted first with its WAL files.

    Only those three names are ever deleted; the folder is resolved, not the file, so that a
    symbolic link named ``coopflow-demo.db`` is removed rather than the file it points to."""
    path = out.resolve() / DEMO_DB
    for stale in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        stale.unlink(missing_ok=True)
    return f"sqlite:///{path}"


def run_demo(
    out: Path,
    *,
    db: str | None = None,
    schema: str | None = None,
    workflows_dir: Path | None = None,
    progress: Callable[[str], object] | None = None,
) -> DemoResult:
    """Run the demo: partnerships of Bordeaux Métropole, into the folder ``out``.

    Without ``db``, the demo gets a fresh SQLite database of its own, ``out/coopflow-demo.db``
    (recreated on every run: nothing else is ever deleted).  With ``db`` (a URL; ``schema``
    names a PostgreSQL schema), it runs on that database, migrating it first; running it again
    there duplicates nothing (the script's steps already journaled are skipped, and only what
    has no document yet is rendered).  The demo script shipped with coopflow is
    applied, the protocols and programmes that have no document yet are rendered, and every
    partnership with a final or approved document is exported for the legal department into
    ``out/export/<reference>/``.  ``workflows_dir`` adds a host's workflow definitions, as
    :class:`~coopflow.Coopflow` does; ``progress`` is told what is being done, as short texts.

    A URL SQLAlchemy cannot use raises what :func:`coopflow.migrate` raises
    (``sqlalchemy.exc.ArgumentError``, or ``ImportError`` for a driver not installed); what
    coopflow refuses raises a :class:`~coopflow.CoopflowError`."""
    if db is None and schema is not None:
        raise ValidationError("a schema is only used with a database URL (db)", field="schema")
    out.mkdir(parents=True, exist_ok=True)
    url = db if db is not None else _fresh_database(out)
    migrate(url, schema=schema)
    with Coopflow(url, schema=schema, workflows_dir=workflows_dir) as cf:
        register_people(cf)
        return _populate(cf, out, progress or (lambda _text: None))


def register_people(cf: Coopflow) -> None:
    """Register the demo's admin (the first, on an empty registry) and the people its script
    names, if they are not registered yet (a database where the demo ran keeps them)."""
    known = {a.login for a in cf.actors()}
    if not known:
        cf.register_first_admin(DEMO_ADMIN.id, "Démonstration coopflow")
        cf.grant_role(DEMO_ADMIN.id, "staff", actor=DEMO_ADMIN)
    for login, (name, roles) in DEMO_PEOPLE.items():
        if login not in known:
            cf.add_actor(login, name, roles=roles, actor=DEMO_ADMIN)


def _populate(cf: Coopflow, out: Path, say: Callable[[str], object]) -> DemoResult:
    """Apply the demo script, render what has no document yet, export.  Idempotent."""
    script = importlib.resources.files("coopflow").joinpath(DEMO_SCRIPT)
    report = apply_script(
        cf,
        script.read_text("utf-8"),
        source=f"coopflow/{DEMO_SCRIPT}",
        progress=lambda o: say(f"{o.subject} {o.item}"),
    )
    partnerships = tuple(cf.partnerships())
    files: list[Path] = []
    documents: dict[str, tuple[str, ...]] = {}
    for p in partnerships:
        say(f"rendering {p.reference}")
        detail = cf.detail(p.reference)
        have = {(d.kind, d.subject) for d in cf.documents_of(p.reference)}
        wanted: list[tuple[Kind, str]] = []
        if detail["protocol"] is not None:
            wanted.append(("protocole", ""))
        wanted += [("programme", g["label"]) for g in detail["programmes"]]
        for kind, subject in wanted:
            if (kind, subject) not in have:
                cf.render(p.reference, kind, subject=subject, actor=DEMO_ACTOR)
        docs = cf.documents_of(p.reference)
        documents[p.reference] = tuple(_label(d) for d in docs if d.status != "superseded")
        if any(d.status == "final" for d in docs) or detail["approved_document_sha256"]:
            say(f"exporting {p.reference}")
            target = out / "export" / p.reference
            manifest = cf.export(p.reference, target, actor=DEMO_ACTOR)
            entries = json.loads(manifest.read_text("utf-8"))["documents"]
            files += [target / e["file"] for e in entries]
            files.append(manifest)
    return DemoResult(display_url(cf.engine.url), report, partnerships, documents, tuple(files))
