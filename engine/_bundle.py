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
from ._i18n import N_, _, ngettext
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
    sentence naming its file, in the language of the moment (French by default: the report is
    for a court clerk or an archivist)."""

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
        title = _("Evidence bundle {reference} ({folder})").format(
            reference=self.reference or "?", folder=self.folder
        )
        out = [title, "=" * len(title), ""]
        if self.database:
            out += [_("Database: {database}").format(database=self.database), ""]
        out += [_("[OK] {line}").format(line=line) for line in self.checked]
        out += [_("[FAILED] {line}").format(line=line) for line in self.problems]
        out += [_("[WARNING] {line}").format(line=line) for line in self.warnings]
        out.append("")
        if not self.ok:
            out.append(
                ngettext(
                    "Conclusion: the bundle is NOT intact ({n} problem above).",
                    "Conclusion: the bundle is NOT intact ({n} problems above).",
                    len(self.problems),
                ).format(n=len(self.problems))
            )
        elif self.anchored_records and self.anchored_at is not None:
            out.append(
                _(
                    "Conclusion: the bundle is intact. The documents are those the journal "
                    "names, the journal was neither changed nor cut short up to record "
                    "{records}, sealed by a checkpoint signed and timestamped on {date} at "
                    "{time} UTC."
                ).format(
                    records=self.anchored_records,
                    date=f"{self.anchored_at:%d/%m/%Y}",
                    time=f"{self.anchored_at:%H:%M:%S}",
                )
            )
        elif self.anchored_records:
            out.append(
                _(
                    "Conclusion: the bundle is intact. The documents are those the journal "
                    "names, the journal was neither changed nor cut short up to record "
                    "{records}, sealed by a checkpoint signed but not timestamped (its date is "
                    "not proven)."
                ).format(records=self.anchored_records)
            )
        else:
            out.append(
                _(
                    "Conclusion: the bundle is consistent (the documents are those the journal "
                    "names, every hash recomputes), but no checkpoint proves that the journal "
                    "was not rewritten whole."
                )
            )
        out.append(
            _(
                "What this does not prove: who the people were beyond what the journal "
                "records, nor that the signing key is the legal department's unless its "
                "fingerprint was compared with the one it publishes."
            )
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
        report.problems.append(
            _("{file}: unreadable ({error})").format(file=name, error=exc.message)
        )
        return None
    if raw is None:
        report.problems.append(_("{file}: file missing").format(file=name))
        return None
    try:
        return json.loads(raw)
    except ValueError:
        report.problems.append(_("{file}: not valid JSON").format(file=name))
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
        report.problems.append(_("{file}: {error}").format(file=path, error=exc.message))
        return report
    with folder:
        manifests = sorted(name for name in _names(folder) if name.endswith("-manifest.json"))
        if len(manifests) != 1:
            report.problems.append(
                _("{file}: {n} manifests (*-manifest.json) instead of one").format(
                    file=path, n=len(manifests)
                )
            )
            return report
        manifest = _json(folder, manifests[0], report)
        if not isinstance(manifest, dict):
            return report
        if (folder.read(manifests[0]) or b"").decode("utf-8", "replace") != manifest_text(manifest):
            report.problems.append(
                _("{file}: its text is not the one coopflow wrote").format(file=manifests[0])
            )
        try:
            records = _verify(folder, manifests[0], manifest, report, trusted_keys, tsa_roots)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            report.problems.append(
                _("{file}: unexpected structure ({error})").format(
                    file=manifests[0], error=repr(exc)
                )
            )
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
    seq = published.seq
    try:
        if len(published.leaves) != published.tree_size:
            raise EvidenceError(
                _(
                    "it does not hold its leaves: give the published file "
                    "(coopflow-checkpoint-NNNNNN.json)"
                )
            )
        published.check(trusted_keys=trusted_keys)
    except EvidenceError as exc:
        report.problems.append(
            _("published checkpoint no. {seq}: {error}").format(seq=seq, error=exc.message)
        )
        return
    leaf = next((x for x in published.leaves if x.chain == f"{PARTNERSHIP}{reference}"), None)
    if leaf is None:
        report.warnings.append(
            _(
                "published checkpoint no. {seq}: does not know {reference} (older than the "
                "partnership)"
            ).format(seq=seq, reference=reference)
        )
    elif leaf.seq > len(records) or records[leaf.seq - 1]["hash"] != leaf.head:
        report.problems.append(
            _(
                "published checkpoint no. {seq}: it sealed the journal of {reference} up to "
                "record {record}, which the bundle does not hold as it was (bundle cut short "
                "or rewritten)"
            ).format(seq=seq, reference=reference, record=leaf.seq)
        )
    else:
        report.checked.append(
            _(
                "published checkpoint no. {seq}: the bundle's journal holds the records 1 to "
                "{record} it sealed"
            ).format(seq=seq, record=leaf.seq)
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
                _("{file}: the evidence file {name} is not in the list of files").format(
                    file=manifest_name, name=name
                )
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
        missing = _(
            "no checkpoint seals this journal outside the database: it proves its "
            "consistency, not that it was not rewritten whole"
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
            report.problems.append(
                _("{file}: file name refused {name!r}").format(file=manifest_name, name=name)
            )
            continue
        try:
            data = folder.read(name)
        except CoopflowError as exc:
            report.problems.append(
                _("{file}: unreadable ({error})").format(file=name, error=exc.message)
            )
            continue
        if data is None:
            report.problems.append(_("{file}: file missing").format(file=name))
        elif sha256_hex(data) != expected:
            report.problems.append(
                _(
                    "{file}: its content changed (SHA-256 {sha256}…, the manifest says {expected}…)"
                ).format(file=name, sha256=sha256_hex(data)[:16], expected=expected[:16])
            )
        else:
            contents[name] = data
    if len(contents) == len(listed):
        report.checked.append(
            ngettext(
                "{n} file present, with its SHA-256 hash",
                "{n} files present, each with its SHA-256 hash",
                len(listed),
            ).format(n=len(listed))
        )
    for name in _names(folder):
        if name not in listed and name != manifest_name:
            report.warnings.append(
                _("{file}: a file the manifest does not mention").format(file=name)
            )
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
        report.problems.append(
            _("{file}: the journal is missing, nothing can be proven without it").format(file=name)
        )
        return []
    journal = json.loads(contents[name])
    records = list(journal["records"])
    if journal.get("reference") != reference or not records:
        report.problems.append(
            _("{file}: this is not the journal of {reference}").format(
                file=name, reference=reference
            )
        )
        return []
    prev = GENESIS
    for expected_seq, rec in enumerate(records, start=1):
        broken = None
        if set(rec) != set(_RECORD_FIELDS):
            broken = _("{file}: record {seq} does not have the expected fields")
        elif rec["seq"] != expected_seq:
            broken = _("{file}: record {seq} is missing")
        elif rec["prev_hash"] != prev:
            broken = _("{file}: record {seq} does not follow the previous one")
        elif (
            record_hash(
                reference=reference,
                at=dt.datetime.fromisoformat(rec["at"]),
                **{k: rec[k] for k in _RECORD_FIELDS if k not in ("at", "hash")},
            )
            != rec["hash"]
        ):
            broken = _("{file}: record {seq} was changed")
        if broken:
            report.problems.append(broken.format(file=name, seq=expected_seq))
            return []
        prev = rec["hash"]
    head = manifest["journal"]
    if len(records) != head["records"] or prev != head["head"]:
        report.problems.append(
            _(
                "{file}: the journal stops at record {seq}, the manifest announces {expected}"
            ).format(file=name, seq=len(records), expected=head["records"])
        )
        return []
    report.checked.append(
        ngettext(
            "{file}: a chain of {n} record, its hash recomputed",
            "{file}: a chain of {n} records, every hash recomputed from the first",
            len(records),
        ).format(file=name, n=len(records))
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
            report.problems.append(
                _("{file}: document announced but missing or not verified").format(file=name)
            )
            continue
        pdf = contents[name]
        if sha256_hex(pdf) != doc["sha256"]:
            report.problems.append(
                _("{file}: this is not the document the manifest describes").format(file=name)
            )
            continue
        if doc["sha256"] not in named:
            report.problems.append(
                _("{file}: no journal record names this document").format(file=name)
            )
            continue
        try:
            snapshot = extract_snapshot(pdf)
        except CoopflowError as exc:
            report.problems.append(
                _("{file}: attached snapshot unreadable ({error})").format(
                    file=name, error=exc.message
                )
            )
            continue
        if sha256_hex(canonical_json(snapshot)) != doc["snapshot_sha256"]:
            report.problems.append(
                _("{file}: the snapshot attached to the PDF changed").format(file=name)
            )
            continue
        snapshots[name] = snapshot
        status = _STATUS.get(doc["status"])
        report.checked.append(
            _(
                "{file}: {kind} v{version} ({status}), named by the journal, attached snapshot "
                "intact"
            ).format(
                file=name,
                kind=doc["kind"],
                version=doc["version"],
                status=_(status) if status is not None else "?",
            )
        )
    for sha in sorted(named - {str(doc["sha256"]) for doc in manifest["documents"]}):
        seqs = [str(r["seq"]) for r in records if r["document_sha256"] == sha]
        report.problems.append(
            ngettext(
                "the journal names document {sha256}… (record {records}), missing from the bundle",
                "the journal names document {sha256}… (records {records}), missing from the bundle",
                len(seqs),
            ).format(sha256=sha[:16], records=", ".join(seqs))
        )
    return snapshots


#: A document's status as the report says it (translated where shown).
_STATUS: Final = {"draft": N_("draft"), "final": N_("final"), "superseded": N_("superseded")}


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
            _("{file}: does not say what the journal and the documents say ({fields})").format(
                file=name, fields=", ".join(wrong)
            )
        )
    else:
        report.checked.append(
            _(
                "{file}: every statement (reference, title, state, documents, statuses) is the "
                "journal's and the documents'"
            ).format(file=name)
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
        report.problems.append(
            _("{file}: {error}").format(file=checkpoint_name, error=getattr(exc, "message", exc))
        )
        return
    report.database = str(checkpoint.statement.get("database"))
    if manifest.get("database") != report.database:
        report.problems.append(
            _(
                "{file}: a checkpoint of another database ({database}) than the bundle's "
                "({expected})"
            ).format(
                file=checkpoint_name, database=report.database, expected=manifest.get("database")
            )
        )
        return
    report.checked.append(
        (
            _(
                "{file}: checkpoint no. {seq}, valid {algorithm} signature, checked with a "
                "trusted key given (fingerprint {key}…)"
            )
            if checked.key_trusted
            else _(
                "{file}: checkpoint no. {seq}, valid {algorithm} signature, checked with the "
                "key it holds (fingerprint {key}…)"
            )
        ).format(
            file=checkpoint_name,
            seq=checkpoint.seq,
            algorithm=checkpoint.algorithm,
            key=checkpoint.key_id[:16],
        )
    )
    if not checked.key_trusted:
        report.warnings.append(
            _(
                "{file}: compare the key's fingerprint ({key}) with the one the legal "
                "department publishes, or give its public key (--key)"
            ).format(file=checkpoint_name, key=checkpoint.key_id)
        )
    if checked.timestamp is None:
        # With the TSA's root given, a timestamp is what is asked for.
        (report.problems if tsa_roots else report.warnings).append(
            _("{file}: no timestamp token").format(file=checkpoint_name)
        )
    else:
        report.anchored_at = at = checked.timestamp.gen_time
        report.checked.append(
            (
                _(
                    "{file}: RFC 3161 timestamp of {date} at {time} UTC by {tsa}, checked with "
                    "a root authority given"
                )
                if checked.tsa_rooted
                else _(
                    "{file}: RFC 3161 timestamp of {date} at {time} UTC by {tsa}, checked with "
                    "its own certificate"
                )
            ).format(
                file=checkpoint_name,
                date=f"{at:%d/%m/%Y}",
                time=f"{at:%H:%M:%S}",
                tsa=checked.timestamp.tsa,
            )
        )
        if not checked.tsa_rooted:
            report.warnings.append(
                _(
                    "{file}: the timestamp token was not tied to a trusted authority (--tsa-root)"
                ).format(file=checkpoint_name)
            )
    try:
        proof = json.loads(contents[proof_name])
        leaf = Leaf.of(proof["leaf"])
        path = [bytes.fromhex(h) for h in proof["path"]]
        index, size = int(proof["index"]), int(proof["tree_size"])
    except (EvidenceError, KeyError, TypeError, ValueError) as exc:
        report.problems.append(
            _("{file}: malformed proof ({error})").format(file=proof_name, error=repr(exc))
        )
        return
    if leaf.chain != f"{PARTNERSHIP}{reference}" or size != checkpoint.tree_size:
        report.problems.append(
            _("{file}: the proof is not about this partnership").format(file=proof_name)
        )
        return
    root = _checkpoint.root_from_path(index, size, leaf.hash(), path)
    if root is None or root.hex() != checkpoint.root:
        report.problems.append(
            _("{file}: the proof does not lead to the checkpoint's signed root").format(
                file=proof_name
            )
        )
        return
    if leaf.seq > len(records) or (leaf.seq and records[leaf.seq - 1]["hash"] != leaf.head):
        report.problems.append(
            _(
                "{file}: the journal does not hold record {seq} that the checkpoint sealed "
                "(journal rewritten or cut short)"
            ).format(file=proof_name, seq=leaf.seq)
        )
        return
    report.anchored_records = leaf.seq
    report.checked.append(
        ngettext(
            "{file}: records 1 to {seq} of the journal are those the checkpoint sealed (RFC "
            "9162 inclusion proof, {n} hash)",
            "{file}: records 1 to {seq} of the journal are those the checkpoint sealed (RFC "
            "9162 inclusion proof, {n} hashes)",
            len(path),
        ).format(file=proof_name, seq=leaf.seq, n=len(path))
    )
    if leaf.seq < len(records):
        sealed = {r["document_sha256"] for r in records[: leaf.seq] if r["document_sha256"]}
        later = sorted(
            str(doc["file"]) for doc in manifest["documents"] if doc["sha256"] not in sealed
        )
        report.warnings.append(
            (
                _(
                    "records {first} to {last} are later than the checkpoint: consistent, but "
                    "not sealed yet (they alone name {documents})"
                )
                if later
                else _(
                    "records {first} to {last} are later than the checkpoint: consistent, but "
                    "not sealed yet"
                )
            ).format(first=leaf.seq + 1, last=len(records), documents=", ".join(later))
        )
