"""Forged evidence bundles (an attacker review of issue 13, kept as tests).

Each test forges a bundle folder the way someone who controls every file in it could (they do
not hold the legal department's private key nor the TSA), then asks ``verify_bundle`` with the
legal department's public key and the TSA's root, as a court would.  Each asserts the SAFE
behaviour: a test that fails demonstrates a hole.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import coopflow
import pytest
from coopflow import CheckpointSettings, Coopflow
from coopflow._bundle import manifest_text
from coopflow._canonical import sha256_hex
from coopflow._checkpoint import new_key
from coopflow._journal import record_hash

from tests import scenario
from tests.tsa import TestTSA


@dataclass(frozen=True)
class Exported:
    """A genuine bundle, anchored by a signed, timestamped checkpoint, and the trust a court
    would give ``verify_bundle``."""

    folder: Path
    ref: str
    public: str
    tsa_root: bytes


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory, tsa: TestTSA) -> Exported:
    base = tmp_path_factory.mktemp("attacks")
    url = f"sqlite:///{base / 'coopflow.db'}"
    coopflow.migrate(url)
    with Coopflow(url) as cf:
        scenario.register_people(cf)
    public = new_key(base / "legal.pem")
    (base / "tsa-root.pem").write_bytes(tsa.root_pem)
    settings = CheckpointSettings(
        key=base / "legal.pem",
        tsa_url=tsa.url,
        tsa_roots=(base / "tsa-root.pem",),
        folder=base / "published",
    )
    with Coopflow(url, checkpoints=settings) as cf:
        ref = scenario.signed(cf)
        cf.export(ref, base / "bundle", actor=scenario.STAFF)
    return Exported(base / "bundle", ref, public, tsa.root_pem)


@dataclass
class Forgery:
    """A copy of the genuine bundle to tamper with."""

    folder: Path
    ref: str
    public: str
    tsa_root: bytes

    @property
    def manifest_path(self) -> Path:
        return self.folder / f"{self.ref}-manifest.json"

    def manifest(self) -> dict[str, Any]:
        return dict(json.loads(self.manifest_path.read_text("utf-8")))

    def journal(self) -> dict[str, Any]:
        return dict(json.loads((self.folder / f"{self.ref}-journal.json").read_text("utf-8")))

    def save(self, manifest: dict[str, Any]) -> None:
        """Write ``manifest`` as coopflow writes one, every listed file's hash recomputed."""
        for entry in manifest["files"]:
            path = self.folder / entry["file"]
            if path.exists():
                entry["sha256"] = sha256_hex(path.read_bytes())
        self.manifest_path.write_text(manifest_text(manifest), "utf-8")

    def rewrite_journal(self, manifest: dict[str, Any], comment: str) -> None:
        """Change record 3's comment and recompute every hash with coopflow's own code."""
        path = self.folder / f"{self.ref}-journal.json"
        journal = self.journal()
        prev = "0" * 64
        for rec in journal["records"]:
            if rec["seq"] == 3:
                rec["comment"] = comment
            rec["prev_hash"] = prev
            fields = {k: v for k, v in rec.items() if k not in ("hash", "at")}
            rec["hash"] = prev = record_hash(
                reference=self.ref, at=dt.datetime.fromisoformat(rec["at"]), **fields
            )
        path.write_text(json.dumps(journal, indent=1, ensure_ascii=False) + "\n", "utf-8")
        manifest["journal"]["head"] = prev
        for doc in manifest["documents"]:
            by_seq = {r["seq"]: r["hash"] for r in journal["records"]}
            for named in doc["journal"]:
                named["hash"] = by_seq[named["seq"]]

    def drop(self, manifest: dict[str, Any], *names: str) -> None:
        """Remove files from the folder and from the manifest's list."""
        for name in names:
            (self.folder / name).unlink()
        manifest["files"] = [f for f in manifest["files"] if f["file"] not in names]

    def verify(self) -> coopflow.BundleReport:
        return coopflow.verify_bundle(
            self.folder, trusted_keys=[self.public], tsa_roots=[self.tsa_root]
        )


@pytest.fixture
def forgery(exported: Exported, tmp_path: Path) -> Forgery:
    folder = tmp_path / "forged"
    shutil.copytree(exported.folder, folder)
    made = Forgery(folder, exported.ref, exported.public, exported.tsa_root)
    assert made.verify().ok  # the genuine bundle verifies
    return made


def _says(report: coopflow.BundleReport) -> str:
    return "\n".join(report.lines())


# ----------------------------------------------------------------------------- 1. no anchor


def test_rewritten_journal_with_its_checkpoint_removed_is_not_ok_under_a_trusted_key(
    forgery: Forgery,
) -> None:
    """The forger rewrites the journal with coopflow's code and simply deletes the checkpoint
    and the proof (``evidence.checkpoint: null``).  A court that gave the legal department's
    key expects the journal to be sealed by it: a bundle no trusted checkpoint seals cannot be
    'intègre'."""
    manifest = forgery.manifest()
    forgery.rewrite_journal(manifest, "tout va bien")
    forgery.drop(manifest, f"{forgery.ref}-checkpoint.json", f"{forgery.ref}-proof.json")
    manifest["evidence"] = {
        "journal": manifest["evidence"]["journal"],
        "checkpoint": None,
        "export": manifest["evidence"]["export"],
    }
    forgery.save(manifest)
    report = forgery.verify()
    assert not report.ok, _says(report)


def test_checkpoint_named_by_evidence_but_not_listed_is_a_problem(forgery: Forgery) -> None:
    """``evidence.checkpoint`` still names the checkpoint, but the forger removed it and the
    proof from the folder and from ``files``: ``_verify`` returns early ("already named
    above") although nothing named it.  No problem, no warning: a rewritten journal passes."""
    manifest = forgery.manifest()
    forgery.rewrite_journal(manifest, "tout va bien")
    forgery.drop(manifest, f"{forgery.ref}-checkpoint.json", f"{forgery.ref}-proof.json")
    forgery.save(manifest)
    report = forgery.verify()
    assert not report.ok, _says(report)


def test_journal_named_by_evidence_but_not_listed_is_a_problem(forgery: Forgery) -> None:
    """No journal at all (``evidence.journal`` names a file ``files`` does not list) and no
    checkpoint: the documents are then never compared with a journal, nor the manifest's
    statements with anything.  Here the approved draft is presented as the final protocol."""
    manifest = forgery.manifest()
    forgery.drop(
        manifest,
        f"{forgery.ref}-journal.json",
        f"{forgery.ref}-checkpoint.json",
        f"{forgery.ref}-proof.json",
        f"{forgery.ref}-protocole-v2-final.pdf",
    )
    manifest["evidence"]["checkpoint"] = None
    manifest["documents"] = manifest["documents"][:1]
    manifest["documents"][0].update(status="final", approved_by_legal=False, journal=[])
    manifest["state"] = "contractualisation.en_vigueur"
    forgery.save(manifest)
    report = forgery.verify()
    assert not report.ok, _says(report)


def test_a_stripped_timestamp_is_a_problem_when_tsa_roots_are_given(forgery: Forgery) -> None:
    """The token is outside the signed statement: anyone can delete it.  With TSA roots given,
    the court expects a proven date; today it is only an ATTENTION line."""
    path = forgery.folder / f"{forgery.ref}-checkpoint.json"
    value = json.loads(path.read_text("utf-8"))
    value["timestamp"] = None
    path.write_text(json.dumps(value, indent=1, ensure_ascii=False) + "\n", "utf-8")
    forgery.save(forgery.manifest())
    report = forgery.verify()
    assert not report.ok, _says(report)


# ----------------------------------------------------------------------------- 2. documents


def test_a_document_listed_in_documents_but_not_in_files_is_a_problem(forgery: Forgery) -> None:
    """A ``documents`` entry whose file ``files`` does not list is skipped silently, and then
    the whole manifest comparison (state, title, statuses) is skipped too: the manifest may
    say anything.  Here it claims the partnership was terminated, under another title."""
    manifest = forgery.manifest()
    phantom = dict(manifest["documents"][1], file=f"{forgery.ref}-protocole-v3-final.pdf")
    phantom.update(version=3, sha256="f" * 64, journal=[])
    manifest["documents"].append(phantom)
    manifest["title"] = "Coopération résiliée"
    manifest["state"] = "cloture"
    forgery.save(manifest)
    report = forgery.verify()
    assert not report.ok, _says(report)


def test_a_document_the_journal_names_cannot_be_left_out(forgery: Forgery) -> None:
    """The signature record (seq 24, sealed by the checkpoint) names the final protocol v2;
    the forger leaves v2 out and re-labels the approved draft, which is all the court sees.
    Every document the journal names (export writes them all) must be in the bundle."""
    manifest = forgery.manifest()
    final = f"{forgery.ref}-protocole-v2-final.pdf"
    forgery.drop(manifest, final)
    manifest["documents"] = [d for d in manifest["documents"] if d["file"] != final]
    manifest["documents"][0]["status"] = "draft"  # as verify-bundle derives it now
    forgery.save(manifest)
    report = forgery.verify()
    assert not report.ok, _says(report)


# ----------------------------------------------------------------------------- 3. --against


def test_verify_against_a_checkpoint_file_without_leaves_is_not_vacuously_ok(
    tmp_path: Path, tsa: TestTSA
) -> None:
    """The bundle's checkpoint file is written without leaves (``with_leaves=False``) but is a
    well-formed, validly signed ``coopflow-checkpoint/1``.  ``verify --against`` it, after the
    owner rewrote the chain with coopflow's own code: ``extends`` loops over no leaves and
    finds nothing; the published file (with leaves) names the rewrite."""
    from tests.test_evidence import rewrite_from

    url = f"sqlite:///{tmp_path / 'coopflow.db'}"
    coopflow.migrate(url)
    with Coopflow(url) as cf:
        scenario.register_people(cf)
    public = new_key(tmp_path / "legal.pem")
    (tmp_path / "tsa-root.pem").write_bytes(tsa.root_pem)
    settings = CheckpointSettings(
        key=tmp_path / "legal.pem",
        tsa_url=tsa.url,
        tsa_roots=(tmp_path / "tsa-root.pem",),
        folder=tmp_path / "published",
    )
    with Coopflow(url, checkpoints=settings) as cf:
        ref = scenario.signed(cf)
        cf.export(ref, tmp_path / "bundle", actor=scenario.STAFF)
        rewrite_from(cf, url, ref, 3, "tout va bien")
    stranger = Coopflow(url)  # the court's clerk: no signing key, the public key given
    try:
        published = stranger.verify(
            against=tmp_path / "published" / "coopflow-checkpoint-000001.json",
            trusted_keys=[public],
            tsa_roots=[tsa.root_pem],
        )
        assert not published.ok  # holds: the published file has its leaves
        from_bundle = stranger.verify(
            against=tmp_path / "bundle" / f"{ref}-checkpoint.json",
            trusted_keys=[public],
            tsa_roots=[tsa.root_pem],
        )
        assert not from_bundle.ok, from_bundle
    finally:
        stranger.close()
