"""Writing files where a user asked for them, and nowhere else.

coopflow writes evidence (PDFs, a JSON manifest, journal records) into a folder a user names, and
its demo creates and deletes a SQLite database.  Names are often built from data (a partnership
reference, a programme label such as ``2020/../../x``), and the folder may hold entries someone
else put there.  This module is the one place those writes go through.

What it guarantees
------------------

* :func:`safe_name` turns data into one file-name component made of ``[A-Za-z0-9._-]`` only:
  never empty, never ``.`` or ``..``, never starting with ``.`` or ``-``, at most 120
  characters; it raises :class:`~coopflow.errors.ValidationError` when nothing usable remains.
  Two different texts may give the same name (``a/b`` and ``a?b``): the writer then refuses the
  second file rather than overwriting the first.
* :class:`OutputFolder` opens the folder once (the path the user named may go through links
  they chose) and does everything else relative to that open folder (``dir_fd``), with
  ``O_NOFOLLOW``: a link *inside* the folder is never followed, and swapping or renaming the
  folder after it was opened does not redirect the writes.
* :meth:`OutputFolder.write` only ever creates a new entry: the content goes to a temporary
  file created with ``O_CREAT | O_EXCL | O_NOFOLLOW``, is flushed to disk, and is then
  hard-linked under its name, which fails if the name exists, whatever it is.  An existing
  regular file with the same bytes is accepted (an export run twice is idempotent); a link, a
  folder, anything else or a file with other bytes is refused with
  :class:`~coopflow.errors.OutputError`, and nothing is written.  The temporary file never
  survives a call, and a reader never sees a half-written file under its final name.
* :meth:`OutputFolder.remove` and :func:`safe_database_file` refuse a symbolic link rather
  than delete or follow it; removing is ``unlinkat``, which never follows a link either.

What it does not guarantee
--------------------------

* The folder path itself is resolved once, when it is opened, and links on the way to it are
  followed: that is the user's choice of folder.
* A hard link someone else created inside the folder to a file elsewhere is an ordinary
  regular file here: it is compared, never written through (writes only create new entries).
* On a file system that refuses hard links, :meth:`OutputFolder.write` creates the final name
  directly with ``O_CREAT | O_EXCL | O_NOFOLLOW`` and writes into it: still never following a
  link nor overwriting anything, but no longer atomic (an interrupted write can leave a partial
  file, which the next run refuses rather than overwrites; a failure noticed while writing
  removes it).
* :func:`safe_database_file` checks a path when called: SQLite opens the file later by its
  path, so a link planted between the check and the opening is still followed (Python's
  :mod:`sqlite3` cannot pass ``SQLITE_OPEN_NOFOLLOW``).  It protects against a link left in
  the folder, not against an attacker racing the program in a folder they can write to.
* POSIX only: the ``*at`` system calls (``openat``, ``linkat``, ``fstatat``...) are required.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import secrets
import stat
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Self

from coopflow._i18n import N_, _
from coopflow.errors import OutputError, ValidationError

__all__ = [
    "MAX_NAME_LENGTH",
    "OutputFolder",
    "is_safe_component",
    "safe_database_file",
    "safe_name",
]

#: The longest name :func:`safe_name` returns (file systems allow 255 bytes; a name built from
#: data is usually one part of a longer file name).
MAX_NAME_LENGTH = 120

_ALLOWED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-")
#: Latin letters Unicode does not decompose into a base letter and marks.
_LETTERS = {
    "ß": "ss",
    "ẞ": "SS",
    "æ": "ae",
    "Æ": "AE",
    "œ": "oe",
    "Œ": "OE",
    "ø": "o",
    "Ø": "O",
    "đ": "d",
    "Đ": "D",
    "ł": "l",
    "Ł": "L",
    "ð": "d",
    "Ð": "D",
    "þ": "th",
    "Þ": "TH",
    "ı": "i",
}
#: A run of separators holding at least one ``_`` (what replaced a character) becomes one ``_``:
#: ``2020/../../x`` gives ``2020_x``.
_SEPARATORS = re.compile(r"[._-]*_[._-]*")
#: A name :class:`OutputFolder` accepts: one component of the safe set, not hidden, not an
#: option (``-x``), within the 255 bytes file systems allow.
_COMPONENT = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,254}")

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC
_NEW_FILE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
_READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
#: What ``linkat`` answers on a file system without hard links.
_NO_HARD_LINKS = frozenset({errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.ENOSYS})
_CHUNK = 1 << 20

_LINK = N_(
    "is a symbolic link: coopflow does not follow links in an output folder; remove it or "
    "choose another folder"
)
_OTHER_CONTENT = N_("exists with other content: choose an empty folder or remove it")


def _transliterate(ch: str) -> str:
    """``ch`` in the safe set (``é`` -> ``e``, ``œ`` -> ``oe``, ``²`` -> ``2``), or ``_``."""
    if ch in _LETTERS:
        return _LETTERS[ch]
    kept = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
    return kept if kept and all(c in _ALLOWED for c in kept) else "_"


def safe_name(text: str, *, what: str, max_length: int = MAX_NAME_LENGTH) -> str:
    """A file-name component built from ``text`` (data: a reference, a programme label...).

    The text is NFC-normalised; accented Latin letters lose their accents, other characters
    outside ``[A-Za-z0-9._-]`` become ``_`` (a run of separators around them collapses into one
    ``_``), separators are stripped from both ends, and a name longer than ``max_length`` is cut
    and ends with 12 hexadecimal digits of the text's SHA-256 (two long texts sharing a
    beginning stay apart).  The result is never empty, ``.`` or ``..``, never starts with ``.``
    or ``-`` and is the same for the same text.  ``what`` names the field in the
    :class:`~coopflow.errors.ValidationError` raised when nothing usable remains (an empty
    text, ``..``, ``///``, only characters of other scripts)."""
    if max_length < 24:
        raise ValueError(f"max_length must be at least 24, not {max_length}")
    nfc = unicodedata.normalize("NFC", text)
    mapped = "".join(ch if ch in _ALLOWED else _transliterate(ch) for ch in nfc)
    name = _SEPARATORS.sub("_", mapped).strip("._-")
    if not name:
        shown = nfc if len(nfc) <= 40 else nfc[:40] + "…"
        raise ValidationError(
            _("{shown!r} cannot be used in a file name: no letter or digit remains").format(
                shown=shown
            ),
            field=what,
        )
    if len(name) > max_length:
        digest = hashlib.sha256(nfc.encode("utf-8", "surrogatepass")).hexdigest()[:12]
        name = name[: max_length - len(digest) - 1].rstrip("._-") + "-" + digest
    return name


def is_safe_component(name: str) -> bool:
    """Whether :class:`OutputFolder` accepts ``name``: one component made of
    ``[A-Za-z0-9._-]``, not starting with ``.`` or ``-``, at most 255 characters (every name
    :func:`safe_name` returns is one)."""
    return _COMPONENT.fullmatch(name) is not None


def _require_component(name: str) -> None:
    if not isinstance(name, str) or not is_safe_component(name):
        raise ValueError(
            f"{name!r} is not a single safe file name (letters, digits, '.', '_', '-', not "
            "starting with '.' or '-'): build it with coopflow._files.safe_name"
        )


def _reason(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


def _kind(mode: int) -> str | None:
    """Why an entry of this mode cannot be taken as a regular file (None: it is one)."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISLNK(mode):
        return _(_LINK)
    if stat.S_ISDIR(mode):
        return _("is a folder: choose another folder or remove it")
    return _("exists and is not a regular file: choose another folder or remove it")


class OutputFolder:
    """A folder coopflow writes into, opened once; every entry is reached through it, and no
    link inside it is followed.  A context manager (``with OutputFolder(path) as out:``).

    ``path`` is created, with its parents, when it does not exist and ``create`` is true; a path
    that exists and is not a folder (or a link to one) is refused with
    :class:`~coopflow.errors.OutputError`."""

    path: Path

    def __init__(self, path: str | os.PathLike[str], *, create: bool = True) -> None:
        self.path = Path(path)
        self._fd: int | None = None
        self._fd = self._open_folder(create)

    @classmethod
    def _adopt(cls, path: Path, fd: int) -> Self:
        folder = cls.__new__(cls)
        folder.path = path
        folder._fd = fd
        return folder

    def _open_folder(self, create: bool) -> int:
        where = str(self.path)
        try:
            return os.open(self.path, _DIR_FLAGS)
        except FileNotFoundError:
            if not create:
                raise OutputError(where, _("does not exist")) from None
        except NotADirectoryError:
            raise OutputError(where, _("exists and is not a folder")) from None
        except OSError as exc:
            raise OutputError(
                where, _("cannot be opened: {reason}").format(reason=_reason(exc))
            ) from None
        try:
            os.makedirs(self.path, exist_ok=True)
            return os.open(self.path, _DIR_FLAGS)
        except (FileExistsError, NotADirectoryError):
            raise OutputError(
                where, _("exists and is not a folder (or is a broken link)")
            ) from None
        except OSError as exc:
            raise OutputError(
                where, _("cannot be created: {reason}").format(reason=_reason(exc))
            ) from None

    # ------------------------------------------------------------------ the folder itself

    def fileno(self) -> int:
        """The open folder's descriptor (for ``dir_fd=``); raises ValueError once closed."""
        if self._fd is None:
            raise ValueError(f"output folder {self.path} is closed")
        return self._fd

    @property
    def closed(self) -> bool:
        return self._fd is None

    def close(self) -> None:
        """Close the folder (closing twice is harmless)."""
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"OutputFolder({str(self.path)!r}{', closed' if self.closed else ''})"

    def subfolder(self, name: str, *, create: bool = True) -> OutputFolder:
        """The folder ``name`` inside this one, created if missing (and ``create``), opened
        without following a link: a link of that name is refused.  Close it (or use ``with``)."""
        _require_component(name)
        fd = self.fileno()
        where = str(self.path / name)
        if create:
            try:
                os.mkdir(name, 0o755, dir_fd=fd)
            except FileExistsError:
                pass
            except OSError as exc:
                raise OutputError(
                    where, _("cannot be created: {reason}").format(reason=_reason(exc))
                ) from None
        try:
            sub = os.open(name, _DIR_FLAGS | os.O_NOFOLLOW, dir_fd=fd)
        except FileNotFoundError:
            raise OutputError(where, _("does not exist")) from None
        except OSError as exc:
            entry = self.stat(name)
            if entry is None or stat.S_ISDIR(entry.st_mode):
                raise OutputError(
                    where, _("cannot be opened: {reason}").format(reason=_reason(exc))
                ) from None
            if stat.S_ISLNK(entry.st_mode):
                raise OutputError(where, _(_LINK)) from None
            raise OutputError(
                where, _("exists and is not a folder: remove it or choose another folder")
            ) from None
        return self._adopt(self.path / name, sub)

    # ------------------------------------------------------------------ entries

    def stat(self, name: str) -> os.stat_result | None:
        """The entry ``name`` itself (a link is not followed), or None if there is none."""
        _require_component(name)
        try:
            return os.stat(name, dir_fd=self.fileno(), follow_symlinks=False)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise OutputError(
                str(self.path / name), _("cannot be read: {reason}").format(reason=_reason(exc))
            ) from None

    def read(self, name: str) -> bytes | None:
        """The bytes of the regular file ``name``, or None if there is no such entry; a link, a
        folder or anything else is refused with :class:`~coopflow.errors.OutputError`."""
        entry = self.stat(name)
        if entry is None:
            return None
        fd = self._open_regular(name, entry)
        with os.fdopen(fd, "rb") as file:
            return file.read()

    def remove(self, name: str) -> bool:
        """Delete the regular file ``name``; False if there was none.  A link (never followed,
        never deleted), a folder or anything else is refused with
        :class:`~coopflow.errors.OutputError`.  Deleting is ``unlinkat``: should the entry be
        replaced after the check, the new entry itself is deleted, never what it points to."""
        entry = self.stat(name)
        if entry is None:
            return False
        where = str(self.path / name)
        problem = _kind(entry.st_mode)
        if problem is not None:
            raise OutputError(where, problem)
        try:
            os.unlink(name, dir_fd=self.fileno())
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise OutputError(
                where, _("cannot be removed: {reason}").format(reason=_reason(exc))
            ) from None
        return True

    def write_all(self, files: Mapping[str, bytes]) -> list[Path]:
        """:meth:`write` each of ``files`` (name: bytes), after checking that none would be
        refused: a refusal leaves the folder as it was (short of a race with another writer,
        which :meth:`write` still refuses file by file)."""
        for name, data in files.items():
            _require_component(name)
            self._holds(name, bytes(data))  # raises OutputError for what write would refuse
        return [self.write(name, data) for name, data in files.items()]

    def write_text(self, name: str, text: str) -> Path:
        """:meth:`write` ``text`` encoded in UTF-8."""
        return self.write(name, text.encode("utf-8"))

    def write(self, name: str, data: bytes) -> Path:
        """Create the file ``name`` (one safe component, see :func:`is_safe_component`; another
        name is a programming error: ValueError) holding ``data``; returns its path.

        A regular file of that name holding exactly ``data`` is left as it is.  A symbolic link
        (never followed), a folder, anything else, or a file with other bytes is refused with
        :class:`~coopflow.errors.OutputError`, and nothing is written."""
        _require_component(name)
        data = bytes(data)
        target = self.path / name
        if self._holds(name, data):
            return target
        fd = self.fileno()
        temporary = self._temporary(data)
        try:
            os.link(temporary, name, src_dir_fd=fd, dst_dir_fd=fd, follow_symlinks=False)
        except FileExistsError:
            # Created by someone else since the check: the same rules apply to it.
            if not self._holds(name, data):
                raise OutputError(
                    str(target), _("changed while being written: try again")
                ) from None
        except OSError as exc:
            if exc.errno not in _NO_HARD_LINKS:
                raise OutputError(
                    str(target), _("cannot be written: {reason}").format(reason=_reason(exc))
                ) from None
            self._write_in_place(name, data)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary, dir_fd=fd)
        self._sync_folder()
        return target

    # ------------------------------------------------------------------ internals

    def _open_regular(self, name: str, entry: os.stat_result) -> int:
        """``name`` opened for reading, checked to be the regular file ``entry`` describes."""
        where = str(self.path / name)
        problem = _kind(entry.st_mode)
        if problem is not None:
            raise OutputError(where, problem)
        try:
            fd = os.open(name, _READ_FLAGS, dir_fd=self.fileno())
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise OutputError(where, _(_LINK)) from None
            raise OutputError(
                where, _("cannot be read: {reason}").format(reason=_reason(exc))
            ) from None
        opened = os.fstat(fd)
        if (opened.st_dev, opened.st_ino) != (entry.st_dev, entry.st_ino) or not stat.S_ISREG(
            opened.st_mode
        ):
            os.close(fd)
            raise OutputError(where, _("changed while being read: try again"))
        return fd

    def _holds(self, name: str, data: bytes) -> bool:
        """Whether ``name`` is a regular file holding ``data`` (False: there is no entry);
        an entry that is not, or holds other bytes, is refused."""
        entry = self.stat(name)
        if entry is None:
            return False
        where = str(self.path / name)
        fd = self._open_regular(name, entry)
        with os.fdopen(fd, "rb") as file:
            if os.fstat(file.fileno()).st_size != len(data):
                raise OutputError(where, _(_OTHER_CONTENT))
            view = memoryview(data)
            offset = 0
            while chunk := file.read(_CHUNK):
                if chunk != view[offset : offset + len(chunk)]:
                    raise OutputError(where, _(_OTHER_CONTENT))
                offset += len(chunk)
            if offset != len(data):
                raise OutputError(where, _(_OTHER_CONTENT))
        return True

    def _temporary(self, data: bytes) -> str:
        """A new hidden file in the folder holding ``data``, on disk; its name."""
        dir_fd = self.fileno()
        for _attempt in range(16):
            name = f".coopflow-{secrets.token_hex(8)}.tmp"
            try:
                fd = os.open(name, _NEW_FILE_FLAGS, 0o644, dir_fd=dir_fd)
            except FileExistsError:
                continue
            except OSError as exc:
                raise OutputError(
                    str(self.path), _("cannot be written: {reason}").format(reason=_reason(exc))
                ) from None
            try:
                self._fill(fd, data)
            except OSError as exc:
                with contextlib.suppress(OSError):
                    os.unlink(name, dir_fd=dir_fd)
                raise OutputError(
                    str(self.path), _("cannot be written: {reason}").format(reason=_reason(exc))
                ) from None
            return name
        raise OutputError(str(self.path), _("cannot create a temporary file"))  # pragma: no cover

    def _write_in_place(self, name: str, data: bytes) -> None:
        """The fallback without hard links: create ``name`` exclusively and write into it."""
        dir_fd = self.fileno()
        where = str(self.path / name)
        try:
            fd = os.open(name, _NEW_FILE_FLAGS, 0o644, dir_fd=dir_fd)
        except FileExistsError:
            if not self._holds(name, data):
                raise OutputError(where, _("changed while being written: try again")) from None
            return
        except OSError as exc:
            raise OutputError(
                where, _("cannot be written: {reason}").format(reason=_reason(exc))
            ) from None
        mine = os.fstat(fd)
        try:
            self._fill(fd, data)
        except OSError as exc:
            # Remove the partial file, if the name is still the file created here.
            with contextlib.suppress(OSError):
                now = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
                if (now.st_dev, now.st_ino) == (mine.st_dev, mine.st_ino):
                    os.unlink(name, dir_fd=dir_fd)
            raise OutputError(
                where, _("cannot be written: {reason}").format(reason=_reason(exc))
            ) from None

    @staticmethod
    def _fill(fd: int, data: bytes) -> None:
        """Write ``data`` to the new file ``fd``, flush it to disk and close it."""
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())

    def _sync_folder(self) -> None:
        """Flush the folder's new entry to disk (where the file system supports it)."""
        try:
            os.fsync(self.fileno())
        except OSError as exc:
            if exc.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EBADF):
                raise OutputError(
                    str(self.path), _("cannot be written: {reason}").format(reason=_reason(exc))
                ) from None


def safe_database_file(path: str | os.PathLike[str]) -> Path:
    """``path``, a database file coopflow is about to delete or create (the demo's), checked:
    missing or a regular file.  A symbolic link (never followed: what it points to is never
    deleted nor overwritten), a folder or anything else is refused with
    :class:`~coopflow.errors.OutputError`.  Only the final component is checked; SQLite opens
    the file by its path afterwards (see the module's documentation for the residual race)."""
    checked = Path(path)
    where = str(checked)
    try:
        entry = os.lstat(checked)
    except FileNotFoundError:
        return checked
    except OSError as exc:
        raise OutputError(
            where, _("cannot be checked: {reason}").format(reason=_reason(exc))
        ) from None
    if stat.S_ISLNK(entry.st_mode):
        raise OutputError(
            where,
            _(
                "is a symbolic link: coopflow deletes and recreates this database file and "
                "does not follow links; remove the link, or choose another folder"
            ),
        )
    if not stat.S_ISREG(entry.st_mode):
        raise OutputError(
            where,
            _(
                "exists and is not a regular file: coopflow deletes and recreates this "
                "database file; remove it, or choose another folder"
            ),
        )
    return checked
