"""The evidence commands as staff and the legal department run them: a key, checkpoints (by
hand and after a signature), ``verify --against``, the export bundle, ``verify-bundle`` and
``protections``."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from coopflow import Coopflow
from sqlalchemy.engine import make_url

from tests import scenario
from tests.tsa import TestTSA

from .conftest import Invoke


def _legal(invoke: Invoke, tmp_path: Path, tsa: TestTSA) -> dict[str, str]:
    made = invoke("checkpoint", "new-key", str(tmp_path / "legal.pem"))
    assert made.code == 0, made.err
    assert made.out.startswith("-----BEGIN PUBLIC KEY-----") and "key id" in made.out
    (tmp_path / "legal.pub").write_text(made.out.split("key id")[0], "utf-8")
    (tmp_path / "tsa-root.pem").write_bytes(tsa.root_pem)
    again = invoke("checkpoint", "new-key", str(tmp_path / "legal.pem"))
    assert again.code == 1 and "does not overwrite a key" in again.err
    return {
        "COOPFLOW_CHECKPOINT_KEY": str(tmp_path / "legal.pem"),
        "COOPFLOW_TSA_URL": tsa.url,
        "COOPFLOW_TSA_ROOTS": str(tmp_path / "tsa-root.pem"),
        "COOPFLOW_CHECKPOINT_DIR": str(tmp_path / "published"),
    }


def test_checkpoints_verify_against_and_the_bundle(
    invoke: Invoke, sqlite_url: str, tmp_path: Path, tsa: TestTSA
) -> None:
    env = _legal(invoke, tmp_path, tsa)
    with Coopflow(sqlite_url) as cf:
        ref = scenario.in_deliberations(cf)
        scenario.record_deliberations(cf, ref, ("bordeaux-metropole", "la-cali"))
    signed = invoke(
        "fire",
        ref,
        "signer",
        "--actor",
        scenario.ELECTED.id,
        "--data",
        "date_signature=2027-03-20",
        "--data",
        "lieu=Libourne",
        env=env,
    )
    assert signed.code == 0, signed.err
    # The signature took a checkpoint, published it, and verify compares with it.
    assert (tmp_path / "published" / "coopflow-checkpoint-000001.json").is_file()
    listed = json.loads(invoke("checkpoint", "list", "--json", env=env).out)
    assert [c["seq"] for c in listed] == [1] and listed[0]["timestamped"]
    verified = invoke("verify", env=env)
    assert verified.code == 0 and "extending checkpoint 1" in verified.out, verified
    assert verified.err == ""
    unchanged = invoke("checkpoint", "take", "--if-needed", env=env)
    assert unchanged.out.startswith("unchanged"), unchanged
    taken = invoke("checkpoint", "take", env=env)
    assert taken.code == 0 and taken.out.startswith("checkpoint 2:"), taken
    against = invoke(
        "verify",
        "--against",
        str(tmp_path / "published" / "coopflow-checkpoint-000001.json"),
        "--key",
        str(tmp_path / "legal.pub"),
        env=env,
    )
    assert against.code == 0, against.err
    # The bundle, checked with no database, in French.
    exported = invoke("export", ref, "--to", str(tmp_path / "bundle"), env=env)
    assert exported.code == 0, exported.err
    report = invoke(
        "verify-bundle",
        str(tmp_path / "bundle"),
        "--key",
        str(tmp_path / "legal.pub"),
        "--tsa-root",
        str(tmp_path / "tsa-root.pem"),
    )
    assert report.code == 0, report.out
    assert "[FAILED]" not in report.out and "[WARNING]" not in report.out
    assert "Conclusion: the bundle is intact" in report.out
    # One byte of the signed PDF changed: refused, the file named.
    pdf = next((tmp_path / "bundle").glob("*-final.pdf"))
    data = bytearray(pdf.read_bytes())
    data[-10] ^= 1
    pdf.write_bytes(bytes(data))
    broken = invoke("verify-bundle", str(tmp_path / "bundle"), "--json")
    assert broken.code == 1
    problems = json.loads(broken.out)["problems"]
    assert problems and all(pdf.name in p for p in problems), problems


def test_a_rewritten_journal_is_named_by_verify_against(
    invoke: Invoke, sqlite_url: str, tmp_path: Path, tsa: TestTSA
) -> None:
    env = _legal(invoke, tmp_path, tsa)
    with Coopflow(sqlite_url) as cf:
        ref = scenario.in_dialogue(cf)
    assert invoke("checkpoint", "take", env=env).code == 0
    database = make_url(sqlite_url).database
    assert database is not None
    raw = sqlite3.connect(database)  # the owner deletes the checkpoints and the last record
    with raw:
        for name in ("coopflow_checkpoint_no_delete", "coopflow_journal_no_delete"):
            raw.execute(f"DROP TRIGGER {name}")
        raw.execute("DELETE FROM coopflow_checkpoint")
        raw.execute(
            "DELETE FROM coopflow_journal WHERE seq = (SELECT max(seq) FROM coopflow_journal)"
        )
    raw.close()
    off = invoke("protections", "check")
    assert off.code == 1 and "coopflow_journal_no_delete is missing" in off.err
    refused = invoke("fire", ref, "revenir_accueil", env=env)
    assert refused.code == 1 and "protections repair" in refused.err
    repaired = invoke("protections", "repair")
    assert repaired.code == 0 and "restored: trigger coopflow_journal_no_delete" in repaired.out
    assert invoke("protections", "check").code == 0
    against = invoke(
        "verify", "--against", str(tmp_path / "published" / "coopflow-checkpoint-000001.json")
    )
    assert against.code == 1
    assert ref in against.err and ("truncated" in against.err or "deleted" in against.err)
