"""Checkpoints: a signed, timestamped commitment to the head of every chain at one moment,
and what it takes to check one without the database.

A checkpoint's **leaves** are the chains' heads, one canonical JSON text each
(``{"chain": "partnership/COOP-2026-0001", "seq": 12, "head": "<hash of record 12>"}``, and
``registry/actors``, ``registry/parties``), sorted by chain.  They are the leaves of a Merkle
tree hashed as RFC 9162 (Certificate Transparency 2.0) says: a leaf's hash is
SHA-256(0x00 || leaf), a node's SHA-256(0x01 || left || right), the tree split at the largest
power of two below its size.  An inclusion proof (RFC 9162, 2.1.3) ties one chain's head to the
root with log2(n) hashes.

The **statement** is what is signed: the canonical JSON of the format, the database's
identifier, the checkpoint's sequence number and time, the tree's size and root, and the
previous checkpoint's statement hash (checkpoints form a chain of their own).  It is signed
with a key the database does not hold (an Ed25519, ECDSA or RSA private key in a PEM file,
with its X.509 certificate if it has one), and the signature is timestamped by an RFC 3161
timestamping authority (``coopflow._timestamp``): the token proves the signature existed at
the TSA's time, whoever holds the key later.

A **checkpoint file** (``coopflow-checkpoint-000012.json``) holds all of it, leaves included:
with it, :func:`read_file` and :meth:`CheckpointFile.check` prove what every chain's head was,
and ``verify --against`` that today's chains extend it.
"""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from ._canonical import canonical_bytes, sha256_hex
from ._i18n import _
from .errors import EvidenceError

if TYPE_CHECKING:
    from . import _timestamp

# cryptography and the RFC 3161 client are imported by the functions that sign or check:
# every command line run imports this module (for CheckpointSettings), few of them sign.

FORMAT: Final = "coopflow-checkpoint/1"
PARTNERSHIP: Final = "partnership/"
REGISTRY: Final = "registry/"

# ------------------------------------------------------------------------- Merkle tree


def leaf_hash(leaf: bytes) -> bytes:
    """RFC 9162's hash of a leaf."""
    return _sha(b"\x00" + leaf)


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 9162's hash of an interior node."""
    return _sha(b"\x01" + left + right)


def _sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than ``n`` (n > 1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def tree_root(hashes_: Sequence[bytes]) -> bytes:
    """The Merkle tree hash of leaf hashes (RFC 9162, 2.1.1); the empty tree's is SHA-256("")."""
    if not hashes_:
        return _sha(b"")
    level = list(hashes_)
    # Bottom-up: pairing left to right and carrying an odd last node up gives the same
    # tree as RFC 9162's recursive split.
    while len(level) > 1:
        paired = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


def inclusion_path(index: int, hashes_: Sequence[bytes]) -> list[bytes]:
    """The audit path of leaf ``index`` (RFC 9162, 2.1.3.1), from the leaf up."""
    if not 0 <= index < len(hashes_):
        raise ValueError(f"leaf {index} is not in a tree of {len(hashes_)}")
    if len(hashes_) == 1:
        return []
    k = _split(len(hashes_))
    if index < k:
        return [*inclusion_path(index, hashes_[:k]), tree_root(hashes_[k:])]
    return [*inclusion_path(index - k, hashes_[k:]), tree_root(hashes_[:k])]


def root_from_path(index: int, size: int, leaf: bytes, path: Sequence[bytes]) -> bytes | None:
    """The root an inclusion proof leads to (RFC 9162, 2.1.3.2), or None if it cannot be a
    proof for leaf ``index`` of a tree of ``size``."""
    if not 0 <= index < size:
        return None
    fn, sn = index, size - 1
    r = leaf
    for p in path:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return r if sn == 0 else None


# ------------------------------------------------------------------------- leaves


@dataclass(frozen=True, slots=True, order=True)
class Leaf:
    """One chain's head: ``partnership/<reference>`` or ``registry/<name>``, the sequence
    number of its last record and that record's hash."""

    chain: str
    seq: int
    head: str

    def encoded(self) -> bytes:
        return canonical_bytes({"chain": self.chain, "seq": self.seq, "head": self.head})

    def hash(self) -> bytes:
        return leaf_hash(self.encoded())

    def as_list(self) -> list[Any]:
        return [self.chain, self.seq, self.head]

    @classmethod
    def of(cls, value: Any) -> Leaf:
        if (
            not isinstance(value, list)
            or len(value) != 3
            or not isinstance(value[0], str)
            or not isinstance(value[1], int)
            or not isinstance(value[2], str)
        ):
            raise EvidenceError(
                _("a checkpoint leaf must be [chain, seq, head], not {value!r}").format(value=value)
            )
        return cls(value[0], value[1], value[2])


def pack_leaves(leaves: Sequence[Leaf]) -> bytes:
    """The leaves as stored: gzipped canonical JSON (deterministic: no time in the header)."""
    return gzip.compress(canonical_bytes([leaf.as_list() for leaf in leaves]), mtime=0)


def unpack_leaves(packed: bytes) -> list[Leaf]:
    return [Leaf.of(v) for v in json.loads(gzip.decompress(packed))]


# ------------------------------------------------------------------------- keys


def _load_pem_certificate(pem: bytes, what: str) -> Any:
    from cryptography import x509

    try:
        return x509.load_pem_x509_certificate(pem)
    except ValueError as exc:
        raise EvidenceError(
            _("{what} is not a PEM X.509 certificate: {error}").format(what=what, error=exc)
        ) from exc


def _algorithm_of(public: Any) -> str:
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    if isinstance(public, ed25519.Ed25519PublicKey):
        return "ed25519"
    if isinstance(public, ec.EllipticCurvePublicKey):
        return "ecdsa-sha256"
    if isinstance(public, rsa.RSAPublicKey):
        return "rsa-pkcs1v15-sha256"
    raise EvidenceError(
        _("unsupported key type {type}: use an Ed25519, ECDSA or RSA key").format(
            type=type(public).__name__
        )
    )


def public_key_id(public_pem: str) -> str:
    """A public key's identifier: the SHA-256 of its DER SubjectPublicKeyInfo."""
    from cryptography.hazmat.primitives import serialization

    key = load_public_key(public_pem.encode(), _("the public key"))
    der = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return sha256_hex(der)


def load_public_key(pem: bytes, what: str) -> Any:
    """A public key from PEM: a SubjectPublicKeyInfo, or the key of an X.509 certificate."""
    from cryptography import x509
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization

    try:
        if b"-----BEGIN CERTIFICATE-----" in pem:
            return x509.load_pem_x509_certificate(pem).public_key()
        return serialization.load_pem_public_key(pem)
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise EvidenceError(
            _("{what} is not a PEM public key or certificate: {error}").format(what=what, error=exc)
        ) from exc


@dataclass(frozen=True)
class SigningKey:
    """The key checkpoints are signed with: read from a PEM file the database never sees."""

    private: Any
    algorithm: str
    public_pem: str
    certificate_pem: str | None = None

    @classmethod
    def load(
        cls, path: Path, *, certificate: Path | None = None, password: str | None = None
    ) -> SigningKey:
        from cryptography.exceptions import UnsupportedAlgorithm
        from cryptography.hazmat.primitives import serialization

        try:
            data = path.read_bytes()
        except OSError as exc:
            raise EvidenceError(
                _("cannot read the checkpoint key {path}: {error}").format(
                    path=path, error=exc.strerror
                )
            ) from exc
        try:
            private = serialization.load_pem_private_key(
                data, password=password.encode() if password else None
            )
        except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
            raise EvidenceError(
                _(
                    "{path} is not a PEM private key coopflow can use ({error}); a "
                    "password-protected key needs COOPFLOW_CHECKPOINT_KEY_PASSWORD"
                ).format(path=path, error=exc)
            ) from exc
        public = private.public_key()
        algorithm = _algorithm_of(public)
        public_pem = public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode()
        cert_pem = None
        if certificate is not None:
            try:
                raw = certificate.read_bytes()
            except OSError as exc:
                raise EvidenceError(
                    _("cannot read the checkpoint certificate {path}: {error}").format(
                        path=certificate, error=exc.strerror
                    )
                ) from exc
            cert = _load_pem_certificate(raw, str(certificate))
            cert_public = cert.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            if cert_public.decode() != public_pem:
                raise EvidenceError(
                    _("the certificate {certificate} is not the key {path}'s").format(
                        certificate=certificate, path=path
                    )
                )
            cert_pem = cert.public_bytes(serialization.Encoding.PEM).decode()
        return cls(private, algorithm, public_pem, cert_pem)

    @property
    def key_id(self) -> str:
        return public_key_id(self.public_pem)

    def sign(self, data: bytes) -> bytes:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec, padding

        if self.algorithm == "ed25519":
            return bytes(self.private.sign(data))
        if self.algorithm == "ecdsa-sha256":
            return bytes(self.private.sign(data, ec.ECDSA(hashes.SHA256())))
        return bytes(self.private.sign(data, padding.PKCS1v15(), hashes.SHA256()))


def new_key(path: Path) -> str:
    """Write a new Ed25519 private key to ``path`` (PEM, mode 0600, never over an existing
    file) and return its public key in PEM."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    key = ed25519.Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except FileExistsError as exc:
        raise EvidenceError(
            _("{path} exists: coopflow does not overwrite a key").format(path=path)
        ) from exc
    except OSError as exc:
        raise EvidenceError(
            _("cannot create {path}: {error}").format(path=path, error=exc.strerror)
        ) from exc
    with os.fdopen(fd, "wb") as file:
        file.write(pem)
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def signature_valid(algorithm: str, public_pem: str, signature: bytes, data: bytes) -> bool:
    """Whether ``signature`` is ``public_pem``'s signature of ``data``."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, padding

    key = load_public_key(public_pem.encode(), _("the checkpoint's public key"))
    if _algorithm_of(key) != algorithm:
        return False
    try:
        if algorithm == "ed25519":
            key.verify(signature, data)
        elif algorithm == "ecdsa-sha256":
            key.verify(signature, data, ec.ECDSA(hashes.SHA256()))
        else:
            key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True


# ------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class CheckpointSettings:
    """How this deployment takes checkpoints.

    ``key``: the PEM private key file (the legal department's; never in the database);
    ``certificate``: its X.509 certificate, if it has one; ``password``: the key's, if
    encrypted; ``tsa_url``: the RFC 3161 timestamping authority; ``tsa_roots``: the CA
    certificates the TSA's must chain to (PEM files); ``folder``: where each checkpoint file
    is written, to be published or archived elsewhere; ``after_signature``: take one after
    every fire that produces a final document; ``max_age``: older than this, and with records
    written since, the latest checkpoint is reported as missing by ``verify``."""

    key: Path
    certificate: Path | None = None
    password: str | None = field(default=None, repr=False)
    tsa_url: str | None = None
    tsa_roots: tuple[Path, ...] = ()
    folder: Path | None = None
    after_signature: bool = True
    max_age: dt.timedelta = dt.timedelta(days=1)

    @classmethod
    def from_environment(cls, env: Mapping[str, str] | None = None) -> CheckpointSettings | None:
        """The settings the ``COOPFLOW_CHECKPOINT_*`` and ``COOPFLOW_TSA_*`` variables give
        (None without ``COOPFLOW_CHECKPOINT_KEY``)."""
        env = os.environ if env is None else env
        key = env.get("COOPFLOW_CHECKPOINT_KEY")
        if not key:
            return None
        roots = env.get("COOPFLOW_TSA_ROOTS", "")
        folder = env.get("COOPFLOW_CHECKPOINT_DIR")
        certificate = env.get("COOPFLOW_CHECKPOINT_CERT")
        return cls(
            key=Path(key),
            certificate=Path(certificate) if certificate else None,
            password=env.get("COOPFLOW_CHECKPOINT_KEY_PASSWORD") or None,
            tsa_url=env.get("COOPFLOW_TSA_URL") or None,
            tsa_roots=tuple(Path(p) for p in roots.split(os.pathsep) if p),
            folder=Path(folder) if folder else None,
            after_signature=env.get("COOPFLOW_CHECKPOINT_AFTER_SIGNATURE", "1") != "0",
        )

    def root_certificates(self) -> list[bytes]:
        roots = []
        for path in self.tsa_roots:
            try:
                roots.append(path.read_bytes())
            except OSError as exc:
                raise EvidenceError(
                    _("cannot read the TSA root {path}: {error}").format(
                        path=path, error=exc.strerror
                    )
                ) from exc
        return roots


# ------------------------------------------------------------------------- checkpoint files


@dataclass(frozen=True)
class CheckpointFile:
    """A checkpoint as published: its statement, signature, timestamp token and leaves."""

    statement: dict[str, Any]
    algorithm: str
    signature: bytes
    public_key: str
    certificate: str | None
    timestamp: bytes | None
    tsa_url: str | None
    leaves: tuple[Leaf, ...] = ()

    @property
    def statement_bytes(self) -> bytes:
        return canonical_bytes(self.statement)

    @property
    def sha256(self) -> str:
        return sha256_hex(self.statement_bytes)

    @property
    def seq(self) -> int:
        return int(self.statement["seq"])

    @property
    def root(self) -> str:
        return str(self.statement["root"])

    @property
    def tree_size(self) -> int:
        return int(self.statement["tree_size"])

    @property
    def key_id(self) -> str:
        return public_key_id(self.public_key)

    def as_json(self, *, with_leaves: bool = True) -> dict[str, Any]:
        value: dict[str, Any] = {
            "format": FORMAT,
            "statement": self.statement,
            "statement_sha256": self.sha256,
            "signature": {
                "algorithm": self.algorithm,
                "value": base64.b64encode(self.signature).decode(),
                "key_id": self.key_id,
                "public_key": self.public_key,
                "certificate": self.certificate,
            },
            "timestamp": (
                {"token": base64.b64encode(self.timestamp).decode(), "tsa_url": self.tsa_url}
                if self.timestamp is not None
                else None
            ),
        }
        if with_leaves:
            value["leaves"] = [leaf.as_list() for leaf in self.leaves]
        return value

    def text(self, *, with_leaves: bool = True) -> str:
        return json.dumps(self.as_json(with_leaves=with_leaves), indent=1, ensure_ascii=False)

    @property
    def file_name(self) -> str:
        return f"coopflow-checkpoint-{self.seq:06d}.json"

    def check(
        self, *, trusted_keys: Sequence[str] = (), tsa_roots: Sequence[bytes] = ()
    ) -> CheckedCheckpoint:
        """Check the signature (against ``trusted_keys``, PEM public keys or certificates, when
        given), the timestamp token (against ``tsa_roots`` when given) and, if the leaves are
        here, that they make the signed root.  Raises EvidenceError naming what fails."""
        seq = self.statement.get("seq", "?")
        if self.statement.get("format") != FORMAT:
            raise EvidenceError(
                _("checkpoint {seq}: unknown format {format!r}").format(
                    seq=seq, format=self.statement.get("format")
                )
            )
        if not signature_valid(
            self.algorithm, self.public_key, self.signature, self.statement_bytes
        ):
            raise EvidenceError(
                _("checkpoint {seq}: the signature does not match the statement").format(seq=seq)
            )
        trusted = None
        if trusted_keys:
            ids = {public_key_id(_public_pem(key)) for key in trusted_keys}
            if self.key_id not in ids:
                raise EvidenceError(
                    _("checkpoint {seq}: signed by key {key}…, which is not a trusted key").format(
                        seq=seq, key=self.key_id[:16]
                    )
                )
            trusted = True
        from . import _timestamp

        stamp = None
        if self.timestamp is not None:
            stamp = _timestamp.verify(self.timestamp, self.signature, roots=tsa_roots)
        if self.leaves:
            if len(self.leaves) != self.tree_size:
                raise EvidenceError(
                    _("checkpoint {seq}: {n} leaves, the statement says {size}").format(
                        seq=seq, n=len(self.leaves), size=self.tree_size
                    )
                )
            if list(self.leaves) != sorted(self.leaves, key=lambda leaf: leaf.chain):
                raise EvidenceError(
                    _("checkpoint {seq}: the leaves are not in order").format(seq=seq)
                )
            if tree_root([leaf.hash() for leaf in self.leaves]).hex() != self.root:
                raise EvidenceError(
                    _("checkpoint {seq}: the leaves do not make the signed root").format(seq=seq)
                )
        return CheckedCheckpoint(self, trusted, stamp, bool(tsa_roots))


def _public_pem(key: str) -> str:
    from cryptography.hazmat.primitives import serialization

    public = load_public_key(key.encode(), _("a trusted key"))
    return str(
        public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode()
    )


@dataclass(frozen=True)
class CheckedCheckpoint:
    """What :meth:`CheckpointFile.check` established."""

    checkpoint: CheckpointFile
    key_trusted: bool | None  # None: no trusted key was given to compare with
    timestamp: _timestamp.Timestamp | None
    tsa_rooted: bool  # the TSA was checked against given roots


def statement(
    *,
    database: str,
    seq: int,
    at: dt.datetime,
    leaves: Sequence[Leaf],
    previous: str | None,
) -> dict[str, Any]:
    """The statement a checkpoint signs."""
    return {
        "format": FORMAT,
        "database": database,
        "seq": seq,
        "at": at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "tree_size": len(leaves),
        "root": tree_root([leaf.hash() for leaf in leaves]).hex(),
        "previous": previous,
    }


def sign(
    statement_: dict[str, Any],
    key: SigningKey,
    *,
    leaves: Sequence[Leaf],
    tsa_url: str | None,
    tsa_roots: Sequence[bytes] = (),
) -> CheckpointFile:
    """Sign a statement and, with a TSA, timestamp the signature (checked against
    ``tsa_roots`` when given)."""
    from . import _timestamp

    data = canonical_bytes(statement_)
    signature = key.sign(data)
    token = None
    if tsa_url is not None:
        stamp = _timestamp.request(tsa_url, signature)
        if tsa_roots:
            _timestamp.verify(stamp.token, signature, roots=tsa_roots)
        token = stamp.token
    return CheckpointFile(
        statement_,
        key.algorithm,
        signature,
        key.public_pem,
        key.certificate_pem,
        token,
        tsa_url,
        tuple(leaves),
    )


def parse(value: Any, source: str) -> CheckpointFile:
    """A checkpoint from its JSON (as :meth:`CheckpointFile.as_json` writes it)."""
    try:
        if value.get("format") != FORMAT:
            raise EvidenceError(
                _("{source}: not a coopflow checkpoint ({format})").format(
                    source=source, format=FORMAT
                )
            )
        sig = value["signature"]
        stamp = value.get("timestamp")
        found = CheckpointFile(
            statement=dict(value["statement"]),
            algorithm=str(sig["algorithm"]),
            signature=base64.b64decode(sig["value"], validate=True),
            public_key=str(sig["public_key"]),
            certificate=sig.get("certificate"),
            timestamp=base64.b64decode(stamp["token"], validate=True) if stamp else None,
            tsa_url=stamp.get("tsa_url") if stamp else None,
            leaves=tuple(Leaf.of(v) for v in value.get("leaves", ())),
        )
    except EvidenceError:
        raise
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise EvidenceError(
            _("{source}: not a well-formed checkpoint ({error})").format(
                source=source, error=repr(exc)
            )
        ) from exc
    if value.get("statement_sha256") not in (None, found.sha256):
        raise EvidenceError(
            _("{source}: statement_sha256 is not the statement's hash").format(source=source)
        )
    return found


def read_file(path: Path) -> CheckpointFile:
    """A checkpoint file, as ``coopflow checkpoint`` wrote it."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise EvidenceError(
            _("cannot read the checkpoint {path}: {error}").format(path=path, error=exc.strerror)
        ) from exc
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise EvidenceError(_("{path} is not JSON: {error}").format(path=path, error=exc)) from exc
    return parse(value, str(path))
