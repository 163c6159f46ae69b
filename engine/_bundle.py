"""The evidence bundle: what ``coopflow export`` writes for one partnership, and its check with
no database (``coopflow verify-bundle FOLDER``).

A bundle is a folder holding:

- the PDFs (the final ones and the draft the legal department approved), each with the
  canonical snapshot it was rendered from attached inside it;
- ``<ref>-journal.json``: every record of the partnership's chain, with everything its hash
  covers;
- ``<ref>-checkpoint.json``: the latest checkpoint covering the chain (its signed statement,
  signature, public key and RFC 3161 timestamp token), and ``<ref>-proof.json``: the
  partnership's leaf and its inclusion proof (RFC 9162) up to the checkpoint's signed root;
- ``<ref>-manifest.json``: the documents (hashes, the journal records naming each), the
  evidence files, and every file's SHA-256.

:func:`verify_bundle` recomputes all of it: every file's hash, each PDF's attached snapshot,
the chain from its first record, that the journal names every document, the proof, the
signature and the timestamp token; it names the file that does not verify.  What it proves,
and what it does not, is said in the report itself (``BundleReport.lines``).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from . import _checkpoint
from ._canonical import canonical_json, sha256_hex, utc_iso
from ._checkpoint import PARTNERSHIP, CheckpointFile, Leaf
from ._files import OutputFolder, is_safe_component
from ._journal import expected_statuses, record_hash
from ._views import RECORD_FIELDS
from .errors import CoopflowError, EvidenceError
from .models import JournalRecord

FORMAT: Final = "coopflow-bundle/1"
GENESIS: Final = "0" * 64

#: What a record's hash covers (``coopflow._journal.record_hash``), and its hash.
_RECORD_FIELDS: Final = ("programme", *RECORD_FIELDS)


def record_json(rec: JournalRecord, programme: str | None) -> dict[str, Any]:
    """A journal record as the bundle holds it (``data`` as stored: its canonical JSON)."""
    return {
        **{name: getattr(rec, name) for name in RECORD_FIELDS},
        "at": utc_iso(rec.at),
        "programme": programme,
    }


def journal_json(reference: str, records: Sequence[dict[str, Any]]) -> bytes:
    return (
        json.dumps(
            {"format": FORMAT, "reference": reference, "records": list(records)},
            indent=1,
            ensure_ascii=False,
        )
        + "\n"
    ).encode()


def manifest_text(manifest: dict[str, Any]) -> str:
    """The manifest's one text (verify-bundle refuses any other, whitespace included)."""
    return json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"


def proof_json(checkpoint: CheckpointFile, reference: str) -> bytes:
    """The partnership's leaf in ``checkpoint`` and its inclusion proof."""
    chain = f"{PARTNERSHIP}{reference}"
    leaves = list(checkpoint.leaves)
    index = next(i for i, leaf in enumerate(leaves) if leaf.chain == chain)
    path = _checkpoint.inclusion_path(index, [leaf.hash() for leaf in leaves])
    value = {
        "format": FORMAT,
        "checkpoint_seq": checkpoint.seq,
        "leaf": leaves[index].as_list(),
        "index": index,
        "tree_size": len(leaves),
        "path": [h.hex() for h in path],
    }
    return (json.dumps(value, indent=1) + "\n").encode()


# ------------------------------------------------------------------------- verification


@dataclass
class BundleReport:
    """What :func:`verify_bundle` checked (``checked``) and found wrong (``problems``), each a
    sentence naming its file, in French: the report is for a court clerk or an archivist."""

    folder: Path
    reference: str | None = None
    checked: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    anchored_at: dt.datetime | None = None  # the TSA's time of the checkpoint
    anchored_records: int = 0
    database: str | None = None  # the identifier of the database the checkpoint was taken on

    @property
    def ok(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        """The report, as printed."""
        title = f"Dossier de preuve {self.reference or '?'} ({self.folder})"
        out = [title, "=" * len(title), ""]
        if self.database:
            out += [f"Base de données : {self.database}", ""]
        out += [f"[OK] {line}" for line in self.checked]
        out += [f"[ÉCHEC] {line}" for line in self.problems]
        out += [f"[ATTENTION] {line}" for line in self.warnings]
        out.append("")
        if self.ok:
            if self.anchored_records and self.anchored_at is not None:
                sealed = (
                    f" jusqu'à l'enregistrement {self.anchored_records}, scellé par un point "
                    f"de contrôle signé et horodaté le {self.anchored_at:%d/%m/%Y à %H:%M:%S} "
                    "UTC."
                )
            elif self.anchored_records:
                sealed = (
                    f" jusqu'à l'enregistrement {self.anchored_records}, scellé par un point "
                    "de contrôle signé mais non horodaté (sa date n'est pas prouvée)."
                )
            else:
                sealed = None
            out.append(
                "Conclusion : le dossier est intègre. Les documents sont ceux que le journal "
                "nomme, le journal n'a été ni modifié ni tronqué" + sealed
                if sealed is not None
                else "Conclusion : le dossier est cohérent (les documents sont ceux que le "
                "journal nomme, chaque empreinte se recalcule), mais aucun point de contrôle ne "
                "prouve que le journal n'a pas été réécrit en entier."
            )
        else:
            out.append(
                f"Conclusion : le dossier n'est PAS intègre ({len(self.problems)} "
                "anomalie(s) ci-dessus)."
            )
        out.append(
            "Ce que cela ne prouve pas : l'identité des personnes au-delà de ce que le journal "
            "enregistre, ni que la clé de signature est bien celle du service juridique si "
            "son empreinte n'a pas été comparée à celle qu'il publie."
        )
        return out

    def as_json(self) -> dict[str, Any]:
        return {
            "folder": str(self.folder),
            "reference": self.reference,
            "ok": self.ok,
            "checked": self.checked,
            "problems": self.problems,
            "warnings": self.warnings,
            "anchored_at": self.anchored_at.isoformat() if self.anchored_at else None,
            "anchored_records": self.anchored_records,
            "database": self.database,
        }


def _json(folder: OutputFolder, name: str, report: BundleReport) -> Any:
    try:
        raw = folder.read(name)
    except CoopflowError as exc:
        report.problems.append(f"{name} : illisible ({exc.message})")
        return None
    if raw is None:
        report.problems.append(f"{name} : fichier manquant")
        return None
    try:
        return json.loads(raw)
    except ValueError:
        report.problems.append(f"{name} : ce n'est pas du JSON valide")
        return None


def verify_bundle(
    path: Path,
    *,
    trusted_keys: Sequence[str] = (),
    tsa_roots: Sequence[bytes] = (),
    published: CheckpointFile | None = None,
) -> BundleReport:
    """Check an exported folder offline; the report names each file that does not verify.

    ``trusted_keys`` (PEM public keys or certificates): the keys the checkpoint may be signed
    with; ``tsa_roots`` (PEM): the CA certificates the timestamping authority must chain to.
    Without them the signature and the token are checked with the key and certificate they
    carry, and the report says so.  ``published``: a later checkpoint, as published (leaves
    included): the bundle's journal must reach what it sealed of the partnership's chain (a
    bundle cut back to an older checkpoint is named)."""
    report = BundleReport(path)
    try:
        folder = OutputFolder(path, create=False)
    except CoopflowError as exc:
        report.problems.append(f"{path} : {exc.message}")
        return report
    with folder:
        manifests = sorted(name for name in _names(folder) if name.endswith("-manifest.json"))
        if len(manifests) != 1:
            report.problems.append(
                f"{path} : {len(manifests)} manifestes (*-manifest.json) au lieu d'un seul"
            )
            return report
        manifest = _json(folder, manifests[0], report)
        if not isinstance(manifest, dict):
            return report
        if (folder.read(manifests[0]) or b"").decode("utf-8", "replace") != manifest_text(manifest):
            report.problems.append(
                f"{manifests[0]} : son texte n'est pas celui que coopflow a écrit"
            )
        try:
            records = _verify(folder, manifests[0], manifest, report, trusted_keys, tsa_roots)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            report.problems.append(f"{manifests[0]} : structure inattendue ({exc!r})")
            return report
        if published is not None:
            _reaches(published, str(manifest["reference"]), records, report, trusted_keys)
    return report


def _reaches(
    published: CheckpointFile,
    reference: str,
    records: list[dict[str, Any]],
    report: BundleReport,
    trusted_keys: Sequence[str],
) -> None:
    """Whether the bundle's journal holds what ``published`` sealed of its chain."""
    where = f"point de contrôle publié n° {published.seq}"
    try:
        if len(published.leaves) != published.tree_size:
            raise EvidenceError(
                "il ne contient pas ses feuilles : donnez le fichier publié "
                "(coopflow-checkpoint-NNNNNN.json)"
            )
        published.check(trusted_keys=trusted_keys)
    except EvidenceError as exc:
        report.problems.append(f"{where} : {exc.message}")
        return
    leaf = next((x for x in published.leaves if x.chain == f"{PARTNERSHIP}{reference}"), None)
    if leaf is None:
        report.warnings.append(f"{where} : ne connaît pas {reference} (antérieur au partenariat)")
    elif leaf.seq > len(records) or records[leaf.seq - 1]["hash"] != leaf.head:
        report.problems.append(
            f"{where} : il a scellé le journal de {reference} jusqu'à l'enregistrement "
            f"{leaf.seq}, que le dossier ne contient pas tel quel (dossier tronqué ou réécrit)"
        )
    else:
        report.checked.append(
            f"{where} : le journal du dossier contient les enregistrements 1 à {leaf.seq} qu'il "
            "a scellés"
        )


def _names(folder: OutputFolder) -> list[str]:
    return sorted(os.listdir(folder.fileno()))


def _verify(
    folder: OutputFolder,
    manifest_name: str,
    manifest: dict[str, Any],
    report: BundleReport,
    trusted_keys: Sequence[str],
    tsa_roots: Sequence[bytes],
) -> list[dict[str, Any]]:
    """Every check of the bundle; returns the journal's records (empty if it did not
    verify)."""
    reference = str(manifest["reference"])
    report.reference = reference
    contents, listed = _listed_files(folder, manifest_name, manifest, report)
    evidence = manifest["evidence"]
    for key in ("journal", "checkpoint", "proof", "export"):
        name = evidence.get(key)
        if name is not None and name not in listed:
            report.problems.append(
                f"{manifest_name} : le fichier de preuve {name} n'est pas dans la liste des "
                "fichiers"
            )
    records = _journal_records(contents, str(evidence["journal"]), reference, manifest, report)
    if not records:
        return records  # nothing below can be shown without the journal
    snapshots = _documents(contents, manifest, records, report)
    derived = _derived(manifest, records, contents, snapshots)
    if len(snapshots) != len(manifest["documents"]):
        # A document did not verify (named above): the others' statuses cannot be derived.
        derived["documents"] = []
    _compare(manifest_name, manifest, derived, report)
    checkpoint_name = evidence.get("checkpoint")
    if checkpoint_name is None:
        missing = (
            "aucun point de contrôle ne scelle ce journal hors de la base : il prouve sa "
            "cohérence, pas qu'il n'a pas été réécrit en entier"
        )
        # With the legal department's key given, a seal is what is asked for.
        (report.problems if trusted_keys else report.warnings).append(missing)
        return records
    if checkpoint_name in contents and evidence.get("proof") in contents:
        _verify_anchor(
            contents,
            str(checkpoint_name),
            str(evidence["proof"]),
            manifest,
            records,
            report,
            trusted_keys,
            tsa_roots,
        )
    return records


def _listed_files(
    folder: OutputFolder, manifest_name: str, manifest: dict[str, Any], report: BundleReport
) -> tuple[dict[str, bytes], dict[str, str]]:
    """Every file the manifest lists, read and checked against its SHA-256 (those that
    verify), and the list itself; a file the manifest does not list is a warning."""
    listed = {str(f["file"]): str(f["sha256"]) for f in manifest["files"]}
    contents: dict[str, bytes] = {}
    for name, expected in sorted(listed.items()):
        if not is_safe_component(name):
            report.problems.append(f"{manifest_name} : nom de fichier refusé {name!r}")
            continue
        try:
            data = folder.read(name)
        except CoopflowError as exc:
            report.problems.append(f"{name} : illisible ({exc.message})")
            continue
        if data is None:
            report.problems.append(f"{name} : fichier manquant")
        elif sha256_hex(data) != expected:
            report.problems.append(
                f"{name} : son contenu a changé (SHA-256 {sha256_hex(data)[:16]}…, le "
                f"manifeste dit {expected[:16]}…)"
            )
        else:
            contents[name] = data
    if len(contents) == len(listed):
        report.checked.append(f"{len(listed)} fichiers présents, chacun avec son empreinte SHA-256")
    for name in _names(folder):
        if name not in listed and name != manifest_name:
            report.warnings.append(f"{name} : fichier que le manifeste ne mentionne pas")
    return contents, listed


def _journal_records(
    contents: dict[str, bytes],
    name: str,
    reference: str,
    manifest: dict[str, Any],
    report: BundleReport,
) -> list[dict[str, Any]]:
    """The journal's records, every hash recomputed from the first; [] (and the problem
    named) if it is missing, empty or broken."""
    if name not in contents:
        report.problems.append(f"{name} : le journal manque, rien ne peut être prouvé sans lui")
        return []
    journal = json.loads(contents[name])
    records = list(journal["records"])
    if journal.get("reference") != reference or not records:
        report.problems.append(f"{name} : ce n'est pas le journal de {reference}")
        return []
    prev = GENESIS
    for expected_seq, rec in enumerate(records, start=1):
        broken = None
        if set(rec) != set(_RECORD_FIELDS):
            broken = f"l'enregistrement {expected_seq} n'a pas les champs attendus"
        elif rec["seq"] != expected_seq:
            broken = f"l'enregistrement {expected_seq} manque"
        elif rec["prev_hash"] != prev:
            broken = f"l'enregistrement {expected_seq} ne suit pas le précédent"
        elif (
            record_hash(
                reference=reference,
                at=dt.datetime.fromisoformat(rec["at"]),
                **{k: rec[k] for k in _RECORD_FIELDS if k not in ("at", "hash")},
            )
            != rec["hash"]
        ):
            broken = f"l'enregistrement {expected_seq} a été modifié"
        if broken:
            report.problems.append(f"{name} : {broken}")
            return []
        prev = rec["hash"]
    head = manifest["journal"]
    if len(records) != head["records"] or prev != head["head"]:
        report.problems.append(
            f"{name} : le journal s'arrête à l'enregistrement {len(records)}, le manifeste en "
            f"annonce {head['records']}"
        )
        return []
    report.checked.append(
        f"{name} : chaîne de {len(records)} enregistrements, chaque empreinte recalculée "
        "depuis le premier"
    )
    return records


def _documents(
    contents: dict[str, bytes],
    manifest: dict[str, Any],
    records: list[dict[str, Any]],
    report: BundleReport,
) -> dict[str, dict[str, Any]]:
    """Each document: its file, named by the journal, its attached snapshot intact; and every
    document the journal names is in the bundle.  Returns the snapshots of those that verify."""
    from coopflow.documents import extract_snapshot

    named = {rec["document_sha256"] for rec in records if rec["document_sha256"]}
    snapshots: dict[str, dict[str, Any]] = {}
    for doc in manifest["documents"]:
        name = str(doc["file"])
        if name not in contents:
            report.problems.append(f"{name} : document annoncé mais absent ou non vérifié")
            continue
        pdf = contents[name]
        if sha256_hex(pdf) != doc["sha256"]:
            report.problems.append(f"{name} : ce n'est pas le document que le manifeste décrit")
            continue
        if doc["sha256"] not in named:
            report.problems.append(f"{name} : aucun enregistrement du journal ne nomme ce document")
            continue
        try:
            snapshot = extract_snapshot(pdf)
        except CoopflowError as exc:
            report.problems.append(f"{name} : instantané joint illisible ({exc.message})")
            continue
        if sha256_hex(canonical_json(snapshot)) != doc["snapshot_sha256"]:
            report.problems.append(f"{name} : l'instantané joint au PDF a changé")
            continue
        snapshots[name] = snapshot
        report.checked.append(
            f"{name} : {doc['kind']} v{doc['version']} ({_STATUS.get(doc['status'], '?')}), "
            "nommé par le journal, instantané joint intact"
        )
    for sha in sorted(named - {str(doc["sha256"]) for doc in manifest["documents"]}):
        seqs = [str(r["seq"]) for r in records if r["document_sha256"] == sha]
        report.problems.append(
            f"le journal nomme le document {sha[:16]}… (enregistrement {', '.join(seqs)}), "
            "absent du dossier"
        )
    return snapshots


_STATUS: Final = {"draft": "projet", "final": "définitif", "superseded": "remplacé"}


def _derived(
    manifest: dict[str, Any],
    records: list[dict[str, Any]],
    contents: dict[str, bytes],
    snapshots: dict[str, dict[str, Any]],
) -> dict[str, Any]:
    """The manifest as the journal and the documents make it (its files and evidence aside),
    for the documents that verified."""
    from coopflow._documents import content_sha256

    # The title is stated by the creation record (a partnership's title does not change).
    titles = [
        data["title"]
        for data in (json.loads(r["data"]) for r in records if '"title"' in r["data"])
        if isinstance(data.get("title"), str)
    ]
    states = [r["target_state"] for r in records if r["programme"] is None]
    # What the journal says the legal department approved: the approval's input, and the
    # signature's record of it.
    approved: set[str] = set()
    for r in records:
        data = json.loads(r["data"])
        approved.update(
            data[key]
            for key in ("document_sha256", "approved_document_sha256")
            if isinstance(data.get(key), str)
        )
    statuses = expected_statuses(
        (
            doc["file"],
            str(snap.get("kind")),
            str(doc["subject"]),
            int(snap.get("document_version", 0)),
            snap,
        )
        for doc in manifest["documents"]
        if (snap := snapshots.get(doc["file"])) is not None
    )
    documents = []
    for doc in manifest["documents"]:
        snap = snapshots.get(doc["file"])
        if snap is None:
            continue  # already named as a problem
        pdf = contents[doc["file"]]
        digest = sha256_hex(pdf)
        documents.append(
            {
                "file": doc["file"],
                "kind": snap.get("kind"),
                "subject": doc["subject"],
                "version": snap.get("document_version"),
                "status": statuses[doc["file"]],
                # Said only of a document the journal names as approved.
                "approved_by_legal": bool(doc.get("approved_by_legal")) and digest in approved,
                "sha256": digest,
                "size": len(pdf),
                "snapshot_sha256": sha256_hex(canonical_json(snap)),
                "content_sha256": content_sha256(snap),
                "journal": [
                    {"seq": r["seq"], "event": r["event"], "hash": r["hash"]}
                    for r in records
                    if r["document_sha256"] == digest
                ],
            }
        )
    references = {str(snap.get("reference")) for snap in snapshots.values()}
    return {
        "reference": references.pop() if len(references) == 1 else sorted(references),
        "title": titles[-1] if titles else None,
        "state": states[-1] if states else None,
        "journal": {"records": len(records), "head": records[-1]["hash"]},
        "documents": documents,
    }


def _compare(
    name: str, manifest: dict[str, Any], derived: dict[str, Any], report: BundleReport
) -> None:
    wrong = [
        key
        for key in derived
        if key != "documents"
        and manifest.get(key) != derived[key]
        and not (key == "reference" and derived[key] == [])  # no document verified
    ]
    said = {doc["file"]: (i, doc) for i, doc in enumerate(manifest["documents"], start=1)}
    for made in derived["documents"]:
        i, doc = said[made["file"]]
        wrong.extend(f"documents[{i}].{key}" for key in made if doc.get(key) != made[key])
        wrong.extend(f"documents[{i}].{key}" for key in sorted(set(doc) - set(made)))
    if wrong:
        report.problems.append(
            f"{name} : ne dit pas ce que disent le journal et les documents ({', '.join(wrong)})"
        )
    else:
        report.checked.append(
            f"{name} : chaque indication (référence, intitulé, état, documents, statuts) est "
            "celle du journal et des documents"
        )


def _verify_anchor(
    contents: dict[str, bytes],
    checkpoint_name: str,
    proof_name: str,
    manifest: dict[str, Any],
    records: list[dict[str, Any]],
    report: BundleReport,
    trusted_keys: Sequence[str],
    tsa_roots: Sequence[bytes],
) -> None:
    reference = str(manifest["reference"])
    try:
        checkpoint = _checkpoint.parse(json.loads(contents[checkpoint_name]), checkpoint_name)
        checked = checkpoint.check(trusted_keys=trusted_keys, tsa_roots=tsa_roots)
    except (EvidenceError, ValueError) as exc:
        report.problems.append(f"{checkpoint_name} : {getattr(exc, 'message', exc)}")
        return
    report.database = str(checkpoint.statement.get("database"))
    if manifest.get("database") != report.database:
        report.problems.append(
            f"{checkpoint_name} : point de contrôle d'une autre base ({report.database}) que "
            f"celle du dossier ({manifest.get('database')})"
        )
        return
    who = "une clé de confiance fournie" if checked.key_trusted else "la clé qu'il contient"
    report.checked.append(
        f"{checkpoint_name} : point de contrôle n° {checkpoint.seq}, signature "
        f"{checkpoint.algorithm} valide, vérifiée avec {who} (empreinte "
        f"{checkpoint.key_id[:16]}…)"
    )
    if not checked.key_trusted:
        report.warnings.append(
            f"{checkpoint_name} : comparez l'empreinte de la clé ({checkpoint.key_id}) à celle "
            "que publie le service juridique, ou donnez sa clé publique (--key)"
        )
    if checked.timestamp is None:
        # With the TSA's root given, a timestamp is what is asked for.
        (report.problems if tsa_roots else report.warnings).append(
            f"{checkpoint_name} : aucun jeton d'horodatage"
        )
    else:
        report.anchored_at = checked.timestamp.gen_time
        rooted = "une autorité racine fournie" if checked.tsa_rooted else "son propre certificat"
        report.checked.append(
            f"{checkpoint_name} : horodatage RFC 3161 du "
            f"{checked.timestamp.gen_time:%d/%m/%Y à %H:%M:%S} UTC par {checked.timestamp.tsa}, "
            f"vérifié avec {rooted}"
        )
        if not checked.tsa_rooted:
            report.warnings.append(
                f"{checkpoint_name} : le jeton d'horodatage n'a pas été rattaché à une autorité "
                "de confiance (--tsa-root)"
            )
    try:
        proof = json.loads(contents[proof_name])
        leaf = Leaf.of(proof["leaf"])
        path = [bytes.fromhex(h) for h in proof["path"]]
        index, size = int(proof["index"]), int(proof["tree_size"])
    except (EvidenceError, KeyError, TypeError, ValueError) as exc:
        report.problems.append(f"{proof_name} : preuve mal formée ({exc!r})")
        return
    if leaf.chain != f"{PARTNERSHIP}{reference}" or size != checkpoint.tree_size:
        report.problems.append(f"{proof_name} : la preuve ne concerne pas ce partenariat")
        return
    root = _checkpoint.root_from_path(index, size, leaf.hash(), path)
    if root is None or root.hex() != checkpoint.root:
        report.problems.append(
            f"{proof_name} : la preuve ne mène pas à la racine signée du point de contrôle"
        )
        return
    if leaf.seq > len(records) or (leaf.seq and records[leaf.seq - 1]["hash"] != leaf.head):
        report.problems.append(
            f"{proof_name} : le journal ne contient pas l'enregistrement {leaf.seq} que le point "
            "de contrôle a scellé (journal réécrit ou tronqué)"
        )
        return
    report.anchored_records = leaf.seq
    report.checked.append(
        f"{proof_name} : les enregistrements 1 à {leaf.seq} du journal sont ceux que le point "
        f"de contrôle a scellés (preuve d'inclusion RFC 9162, {len(path)} empreintes)"
    )
    if leaf.seq < len(records):
        sealed = {r["document_sha256"] for r in records[: leaf.seq] if r["document_sha256"]}
        later = sorted(
            str(doc["file"]) for doc in manifest["documents"] if doc["sha256"] not in sealed
        )
        report.warnings.append(
            f"les enregistrements {leaf.seq + 1} à {len(records)} sont postérieurs au point de "
            "contrôle : cohérents, mais pas encore scellés"
            + (f" (eux seuls nomment {', '.join(later)})" if later else "")
        )
