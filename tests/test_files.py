"""Writing where the user asked and nowhere else (``coopflow._files``), and the demo's database:
names built from data reduced or refused, links inside the output folder never followed,
existing files never overwritten, nothing left behind by a refusal."""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from coopflow._files import (
    MAX_NAME_LENGTH,
    OutputFolder,
    is_safe_component,
    safe_database_file,
    safe_name,
)
from coopflow.demo import DEMO_DB, run_demo
from coopflow.errors import OutputError, ValidationError

PRECIOUS = b"the file a link points to"


@pytest.fixture
def folder(tmp_path: Path) -> Iterator[OutputFolder]:
    with OutputFolder(tmp_path / "out") as out:
        yield out


@pytest.fixture
def precious(tmp_path: Path) -> Path:
    """A file outside the output folder, that a link inside it points to."""
    path = tmp_path / "precious.txt"
    path.write_bytes(PRECIOUS)
    return path


def entries(path: Path) -> set[str]:
    return {p.name for p in path.iterdir()}


# ---------------------------------------------------------------------- safe_name


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2020/../../x", "2020_x"),
        ("../../etc/passwd", "etc_passwd"),
        (".hidden", "hidden"),
        ("-rf", "rf"),
        ("a\x00b", "a_b"),
        ("a\\b", "a_b"),
        ("ééé", "eee"),
        ("Cœur de Bordeaux Métropole", "Coeur_de_Bordeaux_Metropole"),
        ("e\u0301te\u0301", "ete"),  # decomposed accents: NFC first, then transliterated
        ("2026-2027", "2026-2027"),
        ("COOP-2026-0001", "COOP-2026-0001"),
        ("programme 2026 (révisé)", "programme_2026_revise"),
        ("Ｘ／．．", "X"),  # fullwidth letters and punctuation fold to ASCII, then are reduced
    ],
)
def test_safe_name_reduces_data_to_one_safe_component(text: str, expected: str) -> None:
    name = safe_name(text, what="label")
    assert name == expected
    assert is_safe_component(name)
    assert safe_name(text, what="label") == name  # deterministic


@pytest.mark.parametrize("text", ["", "..", ".", "/", "///", "._-", "\x00", "Дом", " "])
def test_safe_name_refuses_what_has_nothing_usable(text: str) -> None:
    with pytest.raises(ValidationError, match="cannot be used in a file name") as caught:
        safe_name(text, what="programme label")
    assert caught.value.field == "programme label"


def test_safe_name_caps_long_names_and_keeps_them_apart() -> None:
    first = safe_name("a" * 500 + "1", what="label")
    second = safe_name("a" * 500 + "2", what="label")
    assert len(first) <= MAX_NAME_LENGTH and len(second) <= MAX_NAME_LENGTH
    assert first != second and is_safe_component(first)
    assert safe_name("b" * MAX_NAME_LENGTH, what="label") == "b" * MAX_NAME_LENGTH


@pytest.mark.parametrize("name", ["", ".", "..", "a/b", "../x", "a\x00b", ".hidden", "-x", "é"])
def test_output_folder_refuses_a_name_that_is_not_one_safe_component(
    folder: OutputFolder, name: str
) -> None:
    with pytest.raises(ValueError, match="not a single safe file name"):
        folder.write(name, b"x")
    assert entries(folder.path) == set()


# ---------------------------------------------------------------------- OutputFolder.write


def test_write_creates_the_file_and_leaves_nothing_else(folder: OutputFolder) -> None:
    path = folder.write("COOP-2026-0001-manifest.json", b"{}\n")
    assert path == folder.path / "COOP-2026-0001-manifest.json"
    assert path.read_bytes() == b"{}\n"
    assert entries(folder.path) == {"COOP-2026-0001-manifest.json"}
    assert folder.write_text("notes.txt", "déjà").read_bytes() == "déjà".encode()


def test_write_refuses_a_link_named_like_the_target(folder: OutputFolder, precious: Path) -> None:
    (folder.path / "manifest.json").symlink_to(precious)
    with pytest.raises(OutputError, match="symbolic link") as caught:
        folder.write("manifest.json", b"attacker-chosen bytes")
    assert caught.value.path == str(folder.path / "manifest.json")
    assert precious.read_bytes() == PRECIOUS  # the link's target is untouched...
    assert (folder.path / "manifest.json").is_symlink()  # ...and so is the link
    assert entries(folder.path) == {"manifest.json"}  # no temporary file left behind


def test_write_refuses_a_link_even_to_identical_bytes(folder: OutputFolder, precious: Path) -> None:
    (folder.path / "manifest.json").symlink_to(precious)
    with pytest.raises(OutputError, match="symbolic link"):
        folder.write("manifest.json", PRECIOUS)


def test_write_refuses_a_dangling_link(folder: OutputFolder, tmp_path: Path) -> None:
    (folder.path / "manifest.json").symlink_to(tmp_path / "would-be-created")
    with pytest.raises(OutputError, match="symbolic link"):
        folder.write("manifest.json", b"x")
    assert not (tmp_path / "would-be-created").exists()
    assert entries(folder.path) == {"manifest.json"}


def test_write_refuses_a_file_with_other_bytes(folder: OutputFolder) -> None:
    existing = folder.path / "a.pdf"
    existing.write_bytes(b"someone else's")
    for data in (b"other bytes!!!", b"longer, other bytes", b"x"):  # same size, longer, shorter
        with pytest.raises(OutputError, match="exists with other content"):
            folder.write("a.pdf", data)
    assert existing.read_bytes() == b"someone else's"
    assert entries(folder.path) == {"a.pdf"}


def test_write_accepts_a_file_with_identical_bytes(folder: OutputFolder) -> None:
    existing = folder.path / "a.pdf"
    existing.write_bytes(b"%PDF- same")
    before = existing.stat()
    assert folder.write("a.pdf", b"%PDF- same") == existing
    after = existing.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)  # untouched
    assert entries(folder.path) == {"a.pdf"}


def test_write_refuses_a_folder_of_that_name(folder: OutputFolder) -> None:
    (folder.path / "a.pdf").mkdir()
    with pytest.raises(OutputError, match="is a folder"):
        folder.write("a.pdf", b"x")
    assert (folder.path / "a.pdf").is_dir() and not any((folder.path / "a.pdf").iterdir())
    assert entries(folder.path) == {"a.pdf"}


def test_write_refuses_a_fifo_without_blocking(folder: OutputFolder) -> None:
    os.mkfifo(folder.path / "a.pdf")
    with pytest.raises(OutputError, match="not a regular file"):
        folder.write("a.pdf", b"x")


def test_a_hard_link_to_a_file_elsewhere_is_compared_never_written_through(
    folder: OutputFolder, precious: Path
) -> None:
    os.link(precious, folder.path / "a.pdf")
    with pytest.raises(OutputError, match="other content"):
        folder.write("a.pdf", b"attacker-chosen bytes....")
    assert precious.read_bytes() == PRECIOUS


def test_write_without_hard_links_still_refuses_and_creates(
    folder: OutputFolder, precious: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_hard_links(*_args: object, **_kwargs: object) -> None:
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_hard_links)
    assert folder.write("new.pdf", b"fresh").read_bytes() == b"fresh"
    (folder.path / "link.pdf").symlink_to(precious)
    with pytest.raises(OutputError, match="symbolic link"):
        folder.write("link.pdf", b"x")
    assert precious.read_bytes() == PRECIOUS
    assert entries(folder.path) == {"new.pdf", "link.pdf"}


def test_a_failed_write_leaves_no_temporary_file(
    folder: OutputFolder, monkeypatch: pytest.MonkeyPatch
) -> None:
    def disk_full(*_args: object, **_kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OutputError, match="No space left"):
        folder.write("a.pdf", b"x")
    assert entries(folder.path) == set()


def test_writes_go_to_the_folder_opened_even_if_it_is_moved(tmp_path: Path) -> None:
    with OutputFolder(tmp_path / "out") as out:
        (tmp_path / "out").rename(tmp_path / "moved")
        (tmp_path / "out").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
        out.write("a.pdf", b"x")
    assert (tmp_path / "moved" / "a.pdf").read_bytes() == b"x"
    assert not (tmp_path / "elsewhere").exists()


# ---------------------------------------------------------------------- the folder itself


def test_the_folder_is_created_with_its_parents(tmp_path: Path) -> None:
    with OutputFolder(tmp_path / "a" / "b") as out:
        assert out.path == tmp_path / "a" / "b" and out.path.is_dir()
    assert out.closed
    with pytest.raises(OutputError, match="does not exist"):
        OutputFolder(tmp_path / "missing", create=False)


def test_a_folder_path_that_is_a_regular_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "out").write_bytes(b"a file")
    with pytest.raises(OutputError, match="not a folder"):
        OutputFolder(tmp_path / "out")
    with pytest.raises(OutputError, match="not a folder"):
        OutputFolder(tmp_path / "out" / "below")
    assert (tmp_path / "out").read_bytes() == b"a file"


def test_the_folder_named_may_be_a_link_the_user_chose(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "chosen").symlink_to(tmp_path / "real", target_is_directory=True)
    with OutputFolder(tmp_path / "chosen") as out:
        out.write("a.pdf", b"x")
    assert (tmp_path / "real" / "a.pdf").read_bytes() == b"x"


def test_a_subfolder_that_is_a_link_is_refused(folder: OutputFolder, tmp_path: Path) -> None:
    (tmp_path / "elsewhere").mkdir()
    (folder.path / "export").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    with pytest.raises(OutputError, match="symbolic link"):
        folder.subfolder("export")
    (folder.path / "file").write_bytes(b"")
    with pytest.raises(OutputError, match="not a folder"):
        folder.subfolder("file")
    with folder.subfolder("fresh") as sub, sub.subfolder("COOP-2026-0001") as deeper:
        assert deeper.path == folder.path / "fresh" / "COOP-2026-0001"
        deeper.write("a.pdf", b"x")
    assert (folder.path / "fresh" / "COOP-2026-0001" / "a.pdf").read_bytes() == b"x"
    assert not any((tmp_path / "elsewhere").iterdir())


def test_remove_and_read_refuse_links(folder: OutputFolder, precious: Path) -> None:
    (folder.path / "link").symlink_to(precious)
    with pytest.raises(OutputError, match="symbolic link"):
        folder.remove("link")
    with pytest.raises(OutputError, match="symbolic link"):
        folder.read("link")
    assert (folder.path / "link").is_symlink() and precious.read_bytes() == PRECIOUS
    folder.write("mine", b"x")
    assert folder.read("mine") == b"x" and folder.read("absent") is None
    assert folder.remove("mine") is True and folder.remove("mine") is False


# ---------------------------------------------------------------------- database files


def test_safe_database_file(tmp_path: Path, precious: Path) -> None:
    assert safe_database_file(tmp_path / "new.db") == tmp_path / "new.db"
    (tmp_path / "old.db").write_bytes(b"")
    assert safe_database_file(tmp_path / "old.db") == tmp_path / "old.db"
    (tmp_path / "link.db").symlink_to(precious)
    with pytest.raises(OutputError, match="symbolic link") as caught:
        safe_database_file(tmp_path / "link.db")
    assert caught.value.path == str(tmp_path / "link.db")
    (tmp_path / "dir.db").mkdir()
    with pytest.raises(OutputError, match="not a regular file"):
        safe_database_file(tmp_path / "dir.db")


@pytest.mark.parametrize("name", [DEMO_DB, f"{DEMO_DB}-wal", f"{DEMO_DB}-shm"])
def test_the_demo_refuses_a_link_named_like_its_database(
    tmp_path: Path, precious: Path, name: str
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / DEMO_DB).write_bytes(b"an earlier run's database")
    (out / name).unlink(missing_ok=True)
    (out / name).symlink_to(precious)
    with pytest.raises(OutputError, match="symbolic link") as caught:
        run_demo(out)  # refused before any work: fast
    assert caught.value.path == str(out / name)
    assert "remove the link" in str(caught.value)
    assert precious.read_bytes() == PRECIOUS  # what the link points to is still there
    assert (out / name).is_symlink()  # the link too: nothing was deleted
    if name != DEMO_DB:
        assert (out / DEMO_DB).read_bytes() == b"an earlier run's database"
    assert not (out / "export").exists()


def test_the_demo_refuses_an_output_folder_that_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "out").write_bytes(b"a file")
    with pytest.raises(OutputError, match="not a folder"):
        run_demo(tmp_path / "out")
    assert (tmp_path / "out").read_bytes() == b"a file"
