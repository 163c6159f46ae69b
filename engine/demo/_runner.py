"""The demo run: a database (a fresh SQLite file of its own, or the host's), the demo script
applied, every protocol and programme rendered, the final documents exported."""

from __future__ import annotations

import hashlib
import importlib.resources
import json
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from coopflow import (
    Actor,
    ApplyReport,
    CheckpointSettings,
    Coopflow,
    DocumentInfo,
    PartnershipInfo,
    ValidationError,
    apply_script,
    migrate,
)
from coopflow._checkpoint import new_key
from coopflow._files import OutputFolder, is_safe_component, safe_database_file, safe_name
from coopflow._i18n import _
from coopflow._migrate import display_url
from coopflow._script import item_label
from coopflow._vocabulary import Kind

#: The demo script, relative to the ``coopflow`` package.
DEMO_SCRIPT = "demo/bordeaux.toml"
#: The demo's own SQLite file, in the output folder (recreated on every run).
DEMO_DB = "coopflow-demo.db"
#: The demo's database and the files SQLite keeps beside it: the only names the demo deletes.
DEMO_DB_FILES = (DEMO_DB, f"{DEMO_DB}-wal", f"{DEMO_DB}-shm", f"{DEMO_DB}-journal")
#: The demo's checkpoint key, in the output folder (made on the first run, kept after).
DEMO_CHECKPOINT_KEY = "coopflow-demo-checkpoint.pem"
#: The folder, in the output folder, where the demo exports (one folder per partnership).
DEMO_EXPORT = "export"
#: Who renders the documents no event produces, and registers the demo's people: the first
#: admin of the demo's registry.
DEMO_ACTOR = Actor("coopflow-demo", "staff")
DEMO_ADMIN = Actor("coopflow-demo", "admin")

#: How the demo moves the partnerships its script opens under version 1 of the cooperation
#: workflow to version 2, as ``coopflow workflow migrate cooperation --from 1 --to 2 --map
#: contractualisation.avenant.deliberations=contractualisation.avenant.revue_juridique`` does,
#: as an admin, one journal record each: an avenant that went to the councils under version 1,
#: which has no legal review of avenants, goes back to the legal department (every other state
#: of version 1 is one of version 2's, kept).
DEMO_MIGRATION = {
    "contractualisation.avenant.deliberations": "contractualisation.avenant.revue_juridique",
}
#: The partnerships the demo script opens under version 1 (``workflow_version = 1``): the only
#: ones it moves (a database of the host's keeps its own where they are).
DEMO_V1 = ("COOP-2026-0002", "COOP-2026-0003", "COOP-2026-0004")

#: The people the demo script names (fictitious logins of real roles), with their roles.
DEMO_PEOPLE = {
    "marie.dupont": ("Marie Dupont", ("staff",)),  # chargée de coopération territoriale
    "claire.martin": ("Claire Martin", ("legal",)),  # service juridique
    "jean-marc.lacoste": ("Jean-Marc Lacoste", ("elected",)),  # signs for the metropolis
    "alain.dubois": ("Alain Dubois", ("elected",)),  # vice-president, signs by delegation
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
    migrated: tuple[str, ...] = ()  # the partnerships this run moved to version 2 (DEMO_MIGRATION)

    @property
    def exports(self) -> dict[str, Path]:
        """Each exported partnership's folder (``OUT/export/<reference>``), by reference."""
        return {f.parent.name: f.parent for f in self.files if f.suffix == ".json"}


def _label(doc: DocumentInfo) -> str:
    return " ".join(x for x in (doc.kind, doc.subject, f"v{doc.version}", doc.status) if x)


def _fresh_database(folder: OutputFolder) -> str:
    """The URL of the demo's own SQLite file in ``folder``, deleted first with its companions.

    Only the names of :data:`DEMO_DB_FILES` are ever deleted, and only regular files: each is
    checked before any is deleted, and a symbolic link (or a folder...) of one of those names
    is refused with :class:`~coopflow.errors.OutputError`, so that neither the link nor what it
    points to is deleted or overwritten."""
    for name in DEMO_DB_FILES:
        safe_database_file(folder.path / name)
    for name in DEMO_DB_FILES:
        folder.remove(name)
    return f"sqlite:///{folder.path.resolve() / DEMO_DB}"


def _forget_previous_export(folder: OutputFolder, reference: str) -> None:
    """Delete what an earlier run of the demo exported into ``folder`` and nobody changed since,
    so that the export of this run replaces it: the earlier manifest, if it is a regular file of
    this user's about ``reference``, and each file it lists that is still a regular file of this
    user's with the SHA-256 the manifest records.  Anything else is left alone (the export then
    refuses to overwrite it, saying so)."""
    manifest_name = f"{safe_name(reference, what='reference')}-manifest.json"
    if not _own_regular_file(folder, manifest_name):
        return
    try:
        manifest = json.loads(folder.read(manifest_name) or b"")
        if manifest["reference"] != reference:
            return
        listed = [(str(f["file"]), str(f["sha256"])) for f in manifest["files"]]
    except (ValueError, TypeError, KeyError):
        return  # not a manifest the demo wrote
    for name, sha256 in listed:
        if not is_safe_component(name) or not _own_regular_file(folder, name):
            continue
        if hashlib.sha256(folder.read(name) or b"").hexdigest() == sha256:
            folder.remove(name)
    folder.remove(manifest_name)


def _own_regular_file(folder: OutputFolder, name: str) -> bool:
    entry = folder.stat(name)
    return entry is not None and stat.S_ISREG(entry.st_mode) and entry.st_uid == os.geteuid()


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
    (recreated on every run, with the files SQLite keeps beside it: nothing else is ever
    deleted; if one of those names is a symbolic link, the demo refuses with an
    :class:`~coopflow.errors.OutputError` before doing anything).  With ``db`` (a URL;
    ``schema`` names a PostgreSQL schema), it runs on that database, migrating it first;
    running it again there duplicates nothing (the script's steps already journaled are
    skipped, and only what has no document yet is rendered).  The demo script shipped with
    coopflow is applied, the protocols and programmes that have no document yet are rendered,
    and every partnership with a final or approved document is exported for the legal
    department into ``out/export/<reference>/`` (what an earlier run exported there and nobody
    changed since is replaced; no link inside ``out`` is followed).  ``workflows_dir`` adds a
    host's workflow definitions, as :class:`~coopflow.Coopflow` does; ``progress`` is told what
    is being done, as short texts.

    A URL SQLAlchemy cannot use raises what :func:`coopflow.migrate` raises
    (``sqlalchemy.exc.ArgumentError``, or ``ImportError`` for a driver not installed); what
    coopflow refuses raises a :class:`~coopflow.CoopflowError`."""
    if db is None and schema is not None:
        raise ValidationError(_("a schema is only used with a database URL (db)"), field="schema")
    with OutputFolder(out) as folder:
        url = db if db is not None else _fresh_database(folder)
        migrate(url, schema=schema)
        with Coopflow(url, schema=schema, workflows_dir=workflows_dir) as cf:
            register_people(cf)
            return _populate(cf, folder, progress or (lambda _text: None))


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


def _populate(cf: Coopflow, out: OutputFolder, say: Callable[[str], object]) -> DemoResult:
    """Apply the demo script, move its version 1 partnerships to version 2, render what has no
    document yet, export.  Idempotent."""
    script = importlib.resources.files("coopflow").joinpath(DEMO_SCRIPT)
    report = apply_script(
        cf,
        script.read_text("utf-8"),
        source=f"coopflow/{DEMO_SCRIPT}",
        progress=lambda o: say(
            _("applying: {subject} {item}").format(subject=o.subject, item=item_label(o.item))
        ),
    )
    say(_("migrating to workflow version 2"))
    migrated = migrate_to_v2(cf)
    partnerships = tuple(cf.partnerships())
    files: list[Path] = []
    documents: dict[str, tuple[str, ...]] = {}
    rendered: list[str] = []
    for p in partnerships:
        say(_("rendering {reference}").format(reference=p.reference))
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
            rendered.append(p.reference)
    if rendered:
        _checkpoint(cf, out, say)
    for reference in rendered:
        say(_("exporting {reference}").format(reference=reference))
        files += _export(cf, out, reference)
    return DemoResult(
        display_url(cf.engine.url), report, partnerships, documents, tuple(files), tuple(migrated)
    )


def migrate_to_v2(cf: Coopflow) -> list[str]:
    """Move the demo's partnerships still on version 1 of the cooperation workflow
    (:data:`DEMO_V1`) to version 2, as :data:`DEMO_MIGRATION` says, as the demo's admin; the
    references moved (none once done: running it again moves nothing)."""
    return cf.migrate_workflow(
        "cooperation",
        from_version=1,
        to_version=2,
        mapping=DEMO_MIGRATION,
        references=list(DEMO_V1),
        actor=DEMO_ADMIN,
    )


def _checkpoint(cf: Coopflow, out: OutputFolder, say: Callable[[str], object]) -> None:
    """Anchor the journal before exporting, so that each bundle holds a checkpoint and its
    proof: signed with the demo's own key (``out/coopflow-demo-checkpoint.pem``, made on the
    first run; in production, the legal department's), not timestamped (the demo reaches no
    timestamping authority), and only if a chain moved since the latest one."""
    key = out.path / DEMO_CHECKPOINT_KEY
    if out.stat(DEMO_CHECKPOINT_KEY) is None:
        new_key(key)
    cf.checkpoint_settings = CheckpointSettings(key=key, after_signature=False)
    say(_("taking a checkpoint"))
    cf.checkpoint(actor=DEMO_ACTOR, if_needed=True)


def _export(cf: Coopflow, out: OutputFolder, reference: str) -> list[Path]:
    """Export the partnership into ``out/export/<reference>/`` (both folders created, neither
    a link followed); the files written, the manifest last."""
    with (
        out.subfolder(DEMO_EXPORT) as exports,
        exports.subfolder(safe_name(reference, what="reference")) as target,
    ):
        _forget_previous_export(target, reference)
        manifest = cf.export(reference, target.path, actor=DEMO_ACTOR)
        entries = json.loads(target.read(manifest.name) or b"{}")["documents"]
        return [*(target.path / e["file"] for e in entries), target.path / manifest.name]
