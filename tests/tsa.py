"""An offline RFC 3161 timestamping authority on loopback, for the tests (not a test module).

:func:`make_pki` builds a throw-away PKI with certomancer: a self-signed root CA and, issued
by it, a TSA certificate carrying the critical ``timeStamping`` extended key usage (RFC 3161
§2.3).  The keys are ECDSA P-256, generated with ``cryptography`` into a temporary folder
(certomancer only reads keys from files) that is removed as soon as certomancer has loaded
them.  Certificates are valid from a day before to thirty days after the PKI is made.

:class:`TestTSA` serves that PKI's TSA over HTTP on ``127.0.0.1`` (a port the system picks):
a POSTed ``TimeStampReq`` is answered by certomancer's in-process
:class:`certomancer.services.TimeStamper`, which stamps the **real clock time**
(``datetime.now(UTC)``, it is given no fixed time) and embeds the TSA certificate.

The path of the URL chooses the behaviour, so one server serves every test, in any order
and in parallel (:meth:`TestTSA.url_for`):

========================= ==========================================================
``/`` (``url``)           a genuine, granted answer
``/reject``               status *rejection*, failInfo *badAlg*, a status string
``/garbage``              ``200 OK`` with bytes that are not DER
``/http-500``             ``500 Internal Server Error``
``/redirect``             ``302 Found`` to ``/`` (a client must not follow it)
``/wrong-nonce``          granted, but over the request's nonce plus one
``/wrong-imprint``        granted, but over another message imprint
``/slow``                 a genuine answer, sent after :attr:`TestTSA.slow_seconds`
========================= ==========================================================
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import http.server
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, ClassVar

from asn1crypto import algos, tsp
from certomancer.registry import ArchLabel, CertLabel, CertomancerConfig, ServiceLabel
from certomancer.services import TimeStamper
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

#: Modes of :meth:`TestTSA.url_for` (see the module docstring).
MODES = (
    "grant",
    "reject",
    "garbage",
    "http-500",
    "redirect",
    "wrong-nonce",
    "wrong-imprint",
    "slow",
)


@dataclass(frozen=True)
class TestPKI:
    """A root CA and a TSA certificate it issued, with a certomancer time stamper for it."""

    __test__: ClassVar[bool] = False  # a helper, not a test class

    root_pem: bytes
    tsa_cert_pem: bytes
    #: The TSA certificate's subject, as ``cryptography`` prints it (RFC 4514).
    tsa_subject: str
    timestamper: TimeStamper


def make_pki(
    name: str = "Coopflow Test", *, intermediate: bool = False, time_stamping: bool = True
) -> TestPKI:
    """A fresh PKI whose entities are named after ``name`` (organisation ``name``, root
    ``"<name> Root CA"``, TSA ``"<name> TSA"``); each call makes new keys.

    ``intermediate``: the root issues ``"<name> Issuing CA"``, which issues the TSA
    certificate, and the TSA embeds it in its tokens.  ``time_stamping=False``: the TSA
    certificate's extended key usage is ``codeSigning`` instead of ``timeStamping``.
    """
    now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    validity = {
        "valid-from": (now - datetime.timedelta(days=1)).isoformat(),
        "valid-to": (now + datetime.timedelta(days=30)).isoformat(),
    }
    ca_extensions = [
        {"id": "basic_constraints", "critical": True, "value": {"ca": True}},
        _key_usage("digital_signature", "key_cert_sign", "crl_sign"),
    ]
    entities = {"root": {"common-name": f"{name} Root CA"}, "tsa": {"common-name": f"{name} TSA"}}
    certs: dict[str, Any] = {
        "root": {
            "subject": "root",
            "issuer": "root",
            "validity": validity,
            "extensions": ca_extensions,
        },
        "tsa": {
            "subject": "tsa",
            "issuer": "interm" if intermediate else "root",
            "validity": validity,
            "extensions": [
                _key_usage("digital_signature"),
                {
                    "id": "extended_key_usage",
                    "critical": True,
                    "value": ["time_stamping" if time_stamping else "code_signing"],
                },
            ],
        },
    }
    tsa_service: dict[str, Any] = {"signing-key": "tsa", "signing-cert": "tsa"}
    if intermediate:
        entities["interm"] = {"common-name": f"{name} Issuing CA"}
        certs["interm"] = {
            "subject": "interm",
            "issuer": "root",
            "validity": validity,
            "extensions": ca_extensions,
        }
        tsa_service["certs-to-embed"] = ["interm"]
    config: dict[str, Any] = {
        "keysets": {"keys": {"keys": {key: {"path": f"{key}.key.pem"} for key in entities}}},
        "pki-architectures": {
            "test": {
                "keyset": "keys",
                "entity-defaults": {"country-name": "FR", "organization-name": name},
                "entities": entities,
                "certs": certs,
                "services": {"time-stamping": {"tsa": tsa_service}},
            }
        },
    }
    with tempfile.TemporaryDirectory(prefix="coopflow-test-pki-") as folder:
        for key in entities:
            private_key = ec.generate_private_key(ec.SECP256R1())
            Path(folder, f"{key}.key.pem").write_bytes(
                private_key.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                )
            )
        # Keys are loaded eagerly (lazy_load_keys=False): the folder may go afterwards.
        arch = CertomancerConfig(config, key_search_dir=folder).get_pki_arch(ArchLabel("test"))
        root = arch.get_cert(CertLabel("root"))
        tsa_cert = arch.get_cert(CertLabel("tsa"))
        timestamper = arch.service_registry.summon_timestamper(ServiceLabel("tsa"))

    return TestPKI(
        root_pem=_pem(root.dump()),
        tsa_cert_pem=_pem(tsa_cert.dump()),
        tsa_subject=x509.load_der_x509_certificate(tsa_cert.dump()).subject.rfc4514_string(),
        timestamper=timestamper,
    )


def _key_usage(*usages: str) -> dict[str, Any]:
    return {
        "id": "key_usage",
        "critical": True,
        "smart-value": {"schema": "key-usage", "params": list(usages)},
    }


def _pem(der: bytes) -> bytes:
    return x509.load_der_x509_certificate(der).public_bytes(serialization.Encoding.PEM)


class TestTSA:
    """The TSA of :func:`make_pki`'s PKI, served on loopback while the context is entered::

    with TestTSA() as tsa:
        stamp = coopflow._timestamp.request(tsa.url, b"data")
        coopflow._timestamp.verify(stamp.token, b"data", roots=[tsa.root_pem])
    """

    __test__: ClassVar[bool] = False  # a helper, not a test class

    #: How long ``/slow`` waits before answering, in seconds.
    slow_seconds: float = 2.0

    def __init__(self, pki: TestPKI | None = None) -> None:
        self.pki = pki or make_pki()
        self.root_pem = self.pki.root_pem
        self.tsa_cert_pem = self.pki.tsa_cert_pem
        #: Number of requests answered, every mode included.
        self.requests = 0
        self._lock = threading.Lock()
        self._server: http.server.ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The URL of a TSA that grants every request."""
        return self.url_for("grant")

    def url_for(self, mode: str) -> str:
        """The URL answering in ``mode`` (one of :data:`MODES`)."""
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; modes: {', '.join(MODES)}")
        if self._server is None:
            raise RuntimeError("the test TSA is not running: enter its context first")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/" + ("" if mode == "grant" else mode)

    def __enter__(self) -> TestTSA:
        handler = _handler_class(self._answer)
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="test-tsa", daemon=True
        )
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server = self._thread = None

    def _answer(self, mode: str, body: bytes) -> tuple[int, str, bytes]:
        """(HTTP status, Content-Type, body) for a request in ``mode``."""
        with self._lock:
            self.requests += 1
        if mode == "http-500":
            return 500, "text/plain", b"the TSA fell over"
        if mode == "redirect":
            return 302, "text/plain", b"moved to /"
        if mode == "garbage":
            return 200, "application/timestamp-reply", b"<html>not a timestamp</html>"
        if mode == "reject":
            return 200, "application/timestamp-reply", rejection_response()
        try:
            request = tsp.TimeStampReq.load(body)
            request.native  # noqa: B018 - parses everything now, raising on bad DER
        except ValueError:
            return 400, "text/plain", b"not a TimeStampReq"
        if mode == "wrong-nonce":
            request["nonce"] = request["nonce"].native + 1
        elif mode == "wrong-imprint":
            request["message_imprint"] = tsp.MessageImprint(
                {
                    "hash_algorithm": algos.DigestAlgorithm({"algorithm": "sha256"}),
                    "hashed_message": hashlib.sha256(b"something else").digest(),
                }
            )
        elif mode == "slow":
            time.sleep(self.slow_seconds)
        response = self.pki.timestamper.request_tsa_response(request)
        return 200, "application/timestamp-reply", bytes(response.dump())


def rejection_response() -> bytes:
    """A TimeStampResp with status *rejection* and no token.  (asn1crypto's ``TimeStampResp``
    wrongly makes ``timeStampToken`` mandatory, so the outer SEQUENCE is written by hand.)"""
    status: bytes = tsp.PKIStatusInfo(
        {
            "status": tsp.PKIStatus("rejection"),
            "status_string": ["unsupported hash algorithm (test TSA)"],
            "fail_info": tsp.PKIFailureInfo({"bad_alg"}),
        }
    ).dump()
    assert len(status) < 128, "short-form DER length only"
    return bytes([0x30, len(status)]) + status


def _handler_class(
    answer: Callable[[str, bytes], tuple[int, str, bytes]],
) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            mode = self.path.strip("/") or "grant"
            if mode not in MODES:
                status, content_type, reply = 404, "text/plain", b"no such test TSA mode"
            else:
                try:
                    status, content_type, reply = answer(mode, body)
                except Exception as exc:  # a bug of the test TSA: say it in the reply
                    status, content_type = 500, "text/plain"
                    reply = f"test TSA error: {exc!r}".encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            if status == 302:
                self.send_header("Location", "/")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            with contextlib.suppress(ConnectionError):  # the client gave up (``/slow``)
                self.wfile.write(reply)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: pytest shows stderr of failing tests, and this would be noise."""

    return Handler
