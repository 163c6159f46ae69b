"""RFC 3161 trusted timestamps: ask a timestamping authority (TSA) for one, check one later.

:func:`request` sends a ``TimeStampReq`` over SHA-256 of the data (random nonce, ``certReq``
set, so the TSA embeds its certificate) with :mod:`urllib.request`, straight to the URL given:
no proxy from the environment, no redirect followed, the reply capped at
:data:`MAX_REPLY_BYTES`.  It checks the reply as :func:`verify` does without roots, plus the
nonce, and returns a :class:`Timestamp` whose ``token`` is the DER ``TimeStampResp`` exactly
as received: the bytes to store and to ship in evidence bundles
(``openssl ts -verify -in token.tsr -data FILE -CAfile root.pem`` reads them too).

:func:`verify` checks such a token, or a bare ``TimeStampToken`` (the CMS ``ContentInfo``),
against the data:

* the CMS signature, with the signer certificate embedded in the token (found by the
  SignerInfo's issuer and serial number): the signed ``contentType`` and ``messageDigest``
  attributes, the ESS ``signingCertificate`` (v1 or v2) naming that certificate, and the
  signature itself (RSA PKCS #1 v1.5 or PSS, ECDSA, Ed25519, Ed448; SHA-256/384/512);
* the message imprint: the token must timestamp exactly SHA-256 (or -384, -512) of the data;
* with ``roots``: that the signer certificate chains to one of them, valid at ``genTime``,
  and has the critical ``timeStamping`` extended key usage.

`rfc3161-client <https://github.com/trailofbits/rfc3161-client>`_ builds the request, parses
the ``TSTInfo`` and does the chain check (OpenSSL's ``PKCS7_verify`` at ``genTime``, then the
EKU).  It cannot verify anything without a root (``VerifierBuilder.build`` refuses), nor does
it expose the failure information of a rejection, so a small DER reader here reads
``PKIStatusInfo`` and the SignedData, and checks the signature with ``cryptography``.

Every failure raises :class:`coopflow.errors.EvidenceError` in English, naming the URL or the
token and what went wrong; no foreign exception escapes.  Revocation (CRL, OCSP) is not
checked.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import hmac
import http.client
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from email.message import Message
from typing import IO

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID
from rfc3161_client import (
    HashAlgorithm,
    TimestampRequestBuilder,
    VerificationError,
    VerifierBuilder,
    decode_timestamp_response,
)

from .errors import EvidenceError

__all__ = ["MAX_REPLY_BYTES", "Timestamp", "request", "verify"]

#: A TSA's reply longer than this is refused (a token is a few kilobytes).
MAX_REPLY_BYTES = 1 << 20


@dataclass(frozen=True, slots=True)
class Timestamp:
    """A timestamp granted by a TSA, as :func:`request` received it or :func:`verify` read it."""

    #: The DER ``TimeStampResp`` as received from the TSA (from :func:`verify`: the bytes it
    #: was given, a ``TimeStampResp`` or a bare ``TimeStampToken``): what to store and ship.
    token: bytes
    #: The TSA's ``genTime``, aware, in UTC.
    gen_time: datetime.datetime
    #: The TSA signer certificate's subject, RFC 4514 (e.g. ``"CN=TSA,O=Example,C=FR"``).
    tsa: str
    #: The token's serial number, unique per TSA.
    serial: int
    #: The hash of the message imprint: ``"sha256"`` for the tokens :func:`request` gets.
    hash_algorithm: str


def request(url: str, data: bytes, *, timeout: float = 10.0) -> Timestamp:
    """Timestamp ``data`` (its SHA-256) at the TSA whose URL is ``url``.

    POSTs a ``TimeStampReq`` (random nonce, ``certReq`` set) as
    ``application/timestamp-query``, and checks the reply: status granted, a token signed
    by the certificate it embeds (see :func:`verify`), the nonce echoed and the message
    imprint equal to SHA-256(``data``).  The TSA is not checked against any root here: call
    :func:`verify` with ``roots`` for that.  ``timeout`` (seconds) bounds the connection and
    each read.  Raises :class:`EvidenceError` for any failure, naming ``url``.
    """
    try:
        parts = urllib.parse.urlsplit(url)
        usable = parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
    except (TypeError, ValueError, AttributeError):
        usable = False
    if not usable:
        raise EvidenceError(f"TSA URL {url!r} is not an http:// or https:// URL")
    if not data:
        raise EvidenceError(f"nothing to timestamp at {url}: the data is empty")
    try:
        data = bytes(data)
        query = (
            TimestampRequestBuilder()
            .data(data)
            .hash_algorithm(HashAlgorithm.SHA256)
            .nonce(nonce=True)
            .cert_request(cert_request=True)
            .build()
        )
        body, nonce = query.as_bytes(), query.nonce
    except Exception as exc:
        raise EvidenceError(f"could not build a timestamp request for {url}: {exc}") from exc
    reply = _post(url, body, timeout)
    try:
        examined = _examine(reply, data)
    except _Rejected as exc:
        raise EvidenceError(f"the TSA at {url} refused to timestamp: {exc}") from None
    except _Refused as exc:
        raise EvidenceError(f"the TSA at {url} sent an unusable reply: {exc}") from None
    except Exception as exc:  # a bug here, or a library surprise: still an EvidenceError
        raise EvidenceError(
            f"the reply of the TSA at {url} could not be checked: {type(exc).__name__}: {exc}"
        ) from exc
    if examined.nonce != nonce:
        raise EvidenceError(
            f"the TSA at {url} sent a timestamp for another request: nonce "
            f"{_show(examined.nonce)} instead of {_show(nonce)} (a replayed or misrouted reply)"
        )
    return examined.timestamp


def verify(token: bytes, data: bytes, *, roots: Sequence[bytes] = ()) -> Timestamp:
    """Check that ``token`` timestamps exactly ``data``, and return what it says.

    ``token`` is a DER ``TimeStampResp`` (what :func:`request` returns) or a bare
    ``TimeStampToken``.  Always checked: the message imprint is the hash of ``data``, and the
    CMS signature is valid with the signer certificate embedded in the token (its signed
    attributes included).  That proves the token is intact and which key signed it, **not**
    that the TSA is one to trust: without ``roots`` (the default) nothing more is checked.

    With ``roots`` (certificates, each PEM, possibly several in one, or DER), the signer
    certificate must also chain to one of them, be valid at ``genTime`` and have the
    critical ``timeStamping`` extended key usage.  Revocation is not checked.

    Raises :class:`EvidenceError` naming what failed.
    """
    try:
        if isinstance(roots, bytes | bytearray | memoryview | str):
            raise _Refused("roots must be a sequence of certificates, e.g. [pem], not one value")
        token, data = bytes(token), bytes(data)
        trusted = _load_roots(roots)
        examined = _examine(token, data)
        if trusted:
            _check_chain(examined, data, trusted)
    except _Refused as exc:
        raise EvidenceError(f"timestamp token refused: {exc}") from None
    except Exception as exc:  # a bug here, or a library surprise: still an EvidenceError
        raise EvidenceError(
            f"timestamp token could not be checked: {type(exc).__name__}: {exc}"
        ) from exc
    return examined.timestamp


# -- HTTP ----------------------------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Redirects are answers like any other error: the request goes to the URL given only."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: Message,
        newurl: str,
    ) -> urllib.request.Request | None:
        return None


def _post(url: str, body: bytes, timeout: float) -> bytes:
    """The body of the TSA's answer to ``body``, or :class:`EvidenceError`."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())
    query = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/timestamp-query",
            "Accept": "application/timestamp-reply",
        },
    )
    try:
        with opener.open(query, timeout=timeout) as answer:
            reply: bytes = answer.read(MAX_REPLY_BYTES + 1)
            content_type = answer.headers.get("Content-Type", "none")
    except urllib.error.HTTPError as exc:
        raise EvidenceError(_http_error(url, exc)) from None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            raise EvidenceError(_timed_out(url, timeout)) from None
        raise EvidenceError(f"could not reach the TSA at {url}: {_reason(exc.reason)}") from None
    except TimeoutError:
        raise EvidenceError(_timed_out(url, timeout)) from None
    except (OSError, http.client.HTTPException, ValueError) as exc:
        raise EvidenceError(f"could not talk to the TSA at {url}: {_reason(exc)}") from None
    if len(reply) > MAX_REPLY_BYTES:
        raise EvidenceError(
            f"the TSA at {url} sent more than {MAX_REPLY_BYTES} bytes: not a timestamp reply"
        )
    if not reply.startswith(b"\x30"):
        raise EvidenceError(
            f"the TSA at {url} sent a reply that is not a DER TimeStampResp "
            f"(Content-Type {content_type}, {len(reply)} bytes, starting {reply[:24]!r})"
        )
    return reply


def _http_error(url: str, exc: urllib.error.HTTPError) -> str:
    """What an HTTP error answer says; closes it."""
    with contextlib.closing(exc):
        message = f"the TSA at {url} answered HTTP {exc.code} {exc.reason}"
        if 300 <= exc.code < 400:
            location = exc.headers.get("Location") if exc.headers else None
            target = f" to {location}" if location else ""
            return f"{message}, a redirect{target}: redirects are not followed, give the final URL"
        with contextlib.suppress(Exception):
            text = exc.read(300).decode("utf-8", "replace").strip()
            if text and exc.headers.get_content_maintype() == "text":
                message += f": {' '.join(text.split())[:200]}"
        return message


def _timed_out(url: str, timeout: float) -> str:
    return f"the TSA at {url} did not answer within {timeout:g} s"


def _reason(reason: object) -> str:
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror
    return str(reason) or type(reason).__name__


# -- Examining a token ---------------------------------------------------------------------


class _Refused(Exception):
    """The token (or the reply) is not acceptable; the message says why."""


class _Rejected(_Refused):
    """The TSA said no (PKIStatus other than granted)."""


@dataclass(frozen=True, slots=True)
class _Examined:
    timestamp: Timestamp
    nonce: int | None
    signer: x509.Certificate
    #: The token in a TimeStampResp of status granted, for rfc3161-client's verifier.
    response: bytes


_STATUSES = {
    0: "granted",
    1: "grantedWithMods",
    2: "rejection",
    3: "waiting",
    4: "revocationWarning",
    5: "revocationNotification",
}
_FAILURES = {
    0: "badAlg (unrecognized or unsupported algorithm)",
    2: "badRequest (transaction not permitted or supported)",
    5: "badDataFormat (the data submitted has the wrong format)",
    14: "timeNotAvailable (the TSA's time source is not available)",
    15: "unacceptedPolicy (the requested TSA policy is not supported)",
    16: "unacceptedExtension (the requested extension is not supported)",
    17: "addInfoNotAvailable (the additional information requested is not available)",
    25: "systemFailure (the request cannot be handled due to system failure)",
}

_SIGNED_DATA = "1.2.840.113549.1.7.2"
_TST_INFO = "1.2.840.113549.1.9.16.1.4"
_ATTR_CONTENT_TYPE = "1.2.840.113549.1.9.3"
_ATTR_MESSAGE_DIGEST = "1.2.840.113549.1.9.4"
_ATTR_SIGNING_CERTIFICATE = "1.2.840.113549.1.9.16.2.12"
_ATTR_SIGNING_CERTIFICATE_V2 = "1.2.840.113549.1.9.16.2.47"

#: Digest algorithm OIDs accepted for imprints and signatures, by hashlib name.
_DIGESTS = {
    "2.16.840.1.101.3.4.2.1": "sha256",
    "2.16.840.1.101.3.4.2.2": "sha384",
    "2.16.840.1.101.3.4.2.3": "sha512",
}
_SHA1 = "1.3.14.3.2.26"  # only to identify the signing certificate (ESS v1 requires it)
_HASH_CLASSES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}
_ECDSA_WITH = {
    "1.2.840.10045.4.3.2": "sha256",
    "1.2.840.10045.4.3.3": "sha384",
    "1.2.840.10045.4.3.4": "sha512",
}
_RSA_WITH = {
    "1.2.840.113549.1.1.11": "sha256",
    "1.2.840.113549.1.1.12": "sha384",
    "1.2.840.113549.1.1.13": "sha512",
}
_EC_PUBLIC_KEY = "1.2.840.10045.2.1"
_RSA_ENCRYPTION = "1.2.840.113549.1.1.1"
_RSA_PSS = "1.2.840.113549.1.1.10"
_MGF1 = "1.2.840.113549.1.1.8"
_ED25519 = "1.3.101.112"
_ED448 = "1.3.101.113"


def _examine(blob: bytes, data: bytes) -> _Examined:
    """Parse ``blob`` (TimeStampResp or TimeStampToken), check its signature with the
    embedded signer certificate and its imprint against ``data``; raises :class:`_Refused`."""
    token = _parse_token(blob)
    signer = _check_signature(token)
    response = _der(0x30, _der(0x30, b"\x02\x01\x00") + token.content_info)
    with _library("could not read the token's TSTInfo"):
        info = decode_timestamp_response(response).tst_info
        imprint = info.message_imprint
        hash_oid, hashed = imprint.hash_algorithm.dotted_string, imprint.message
        gen_time, serial, nonce = info.gen_time, info.serial_number, info.nonce
    hash_name = _DIGESTS.get(hash_oid)
    if hash_name is None:
        raise _Refused(f"the message imprint uses an unsupported hash algorithm ({hash_oid})")
    digest = hashlib.new(hash_name, data).digest()
    if not hmac.compare_digest(digest, hashed):
        raise _Refused(
            f"its message imprint is not the {hash_name.replace('sha', 'SHA-')} of the data: "
            f"the token timestamps other data (imprint {hashed.hex()[:16]}..., the data's "
            f"{digest.hex()[:16]}...)"
        )
    if gen_time.tzinfo is None:
        gen_time = gen_time.replace(tzinfo=datetime.UTC)
    return _Examined(
        timestamp=Timestamp(
            token=blob,
            gen_time=gen_time.astimezone(datetime.UTC),
            tsa=signer.subject.rfc4514_string(),
            serial=serial,
            hash_algorithm=hash_name,
        ),
        nonce=nonce,
        signer=signer,
        response=response,
    )


@dataclass(frozen=True, slots=True)
class _Token:
    content_info: bytes  # the TimeStampToken (ContentInfo), DER
    tst_info: bytes  # eContent: the DER TSTInfo that was signed
    certificates: list[bytes]
    sid: _Node
    digest_oid: str
    signed_attrs: _Node | None
    signature_algorithm: _Node
    signature: bytes


def _parse_token(blob: bytes) -> _Token:
    with _der_errors("is not a DER TimeStampResp or TimeStampToken"):
        top = _parse(blob).expect(0x30, "TimeStampResp")
        first = top.children()[:1]
        if first and first[0].tag == 0x06:  # ContentInfo: a bare TimeStampToken
            content_info = top
        else:
            parts = top.children()
            _check_status(parts[0].expect(0x30, "PKIStatusInfo") if parts else None)
            if len(parts) < 2:
                raise _Refused("status granted but no timeStampToken in the reply")
            content_info = parts[1]
        ci = content_info.expect(0x30, "TimeStampToken").children()
        if len(ci) != 2 or ci[0].oid() != _SIGNED_DATA:
            raise _DERError("the TimeStampToken is not a CMS SignedData")
        signed = _only(ci[1].expect(0xA0, "[0] content")).expect(0x30, "SignedData").children()
        index = 2
        encap = signed[index].expect(0x30, "EncapsulatedContentInfo").children()
        if not encap or encap[0].oid() != _TST_INFO:
            raise _DERError("the SignedData does not hold a TSTInfo")
        if len(encap) != 2:
            raise _DERError("the SignedData holds no TSTInfo content")
        tst_info = _only(encap[1].expect(0xA0, "[0] eContent")).expect(0x04, "eContent").content
        index += 1
        certificates: list[bytes] = []
        if signed[index].tag == 0xA0:
            certificates = [c.raw for c in signed[index].children() if c.tag == 0x30]
            index += 1
        if signed[index].tag == 0xA1:  # CRLs
            index += 1
        signer_infos = signed[index].expect(0x31, "SignerInfos").children()
        if len(signer_infos) != 1:
            raise _Refused(f"the token has {len(signer_infos)} signers instead of one")
        fields = signer_infos[0].expect(0x30, "SignerInfo").children()
        digest = fields[2].expect(0x30, "digestAlgorithm").children()[0].oid()
        declared = signed[1].expect(0x31, "digestAlgorithms").children()
        if digest not in [algorithm.children()[0].oid() for algorithm in declared]:
            raise _DERError("the signer's digest algorithm is not among the digestAlgorithms")
        at = 3
        signed_attrs = None
        if fields[at].tag == 0xA0:
            signed_attrs, at = fields[at], at + 1
        return _Token(
            content_info=content_info.raw,
            tst_info=tst_info,
            certificates=certificates,
            sid=fields[1],
            digest_oid=digest,
            signed_attrs=signed_attrs,
            signature_algorithm=fields[at].expect(0x30, "signatureAlgorithm"),
            signature=fields[at + 1].expect(0x04, "signature").content,
        )


def _check_status(status_info: _Node | None) -> None:
    """Raise :class:`_Rejected` unless ``PKIStatusInfo`` says granted (with or without mods)."""
    parts = status_info.children() if status_info is not None else []
    if not parts:
        raise _DERError("empty PKIStatusInfo")
    status = parts[0].expect(0x02, "PKIStatus").integer()
    if status in (0, 1):
        return
    texts: list[str] = []
    failures: list[str] = []
    for part in parts[1:]:
        if part.tag == 0x30:  # PKIFreeText
            texts += [t.content.decode("utf-8", "replace") for t in part.children()]
        elif part.tag == 0x03:  # PKIFailureInfo
            failures += [_FAILURES.get(bit, f"failure bit {bit}") for bit in part.bits()]
    message = f"status {_STATUSES.get(status, 'unknown')} ({status})"
    if failures:
        message += f"; failure: {', '.join(failures)}"
    if texts:
        message += "; the TSA says: " + " / ".join(repr(t) for t in texts)
    raise _Rejected(message)


def _check_signature(token: _Token) -> x509.Certificate:
    """The embedded signer certificate, once it verifies the token's CMS signature."""
    signer, signer_der = _find_signer(token)
    name = signer.subject.rfc4514_string()
    if token.signed_attrs is None:
        raise _Refused("its signature covers no signed attributes (RFC 3161 requires them)")
    attributes: dict[str, list[_Node]] = {}
    with _der_errors("has malformed signed attributes"):
        for attribute in token.signed_attrs.children():
            oid_node, values = attribute.expect(0x30, "Attribute").children()
            attributes.setdefault(oid_node.oid(), []).extend(values.expect(0x31, "").children())
        content_type = [v.oid() for v in attributes.get(_ATTR_CONTENT_TYPE, [])]
        digests = [
            v.expect(0x04, "messageDigest").content
            for v in attributes.get(_ATTR_MESSAGE_DIGEST, [])
        ]
    if content_type != [_TST_INFO]:
        raise _Refused("its signed contentType attribute is not id-ct-TSTInfo")
    digest_name = _DIGESTS.get(token.digest_oid)
    if digest_name is None:
        raise _Refused(f"it is signed with an unsupported digest algorithm ({token.digest_oid})")
    if len(digests) != 1 or not hmac.compare_digest(
        digests[0], hashlib.new(digest_name, token.tst_info).digest()
    ):
        raise _Refused(
            "its TSTInfo does not match the digest its signature covers: the token was altered"
        )
    _check_signing_certificate(attributes, signer_der, name)
    to_verify = b"\x31" + token.signed_attrs.raw[1:]  # signed as a SET, stored as [0]
    try:
        _verify_signature(signer, token, digest_name, to_verify)
    except InvalidSignature:
        raise _Refused(
            f"its signature does not verify with the TSA certificate it embeds ({name}): "
            "the token was altered or was not signed by that TSA"
        ) from None
    return signer


def _find_signer(token: _Token) -> tuple[x509.Certificate, bytes]:
    if not token.certificates:
        raise _Refused("it embeds no certificate (requested without certReq?): cannot verify")
    with _der_errors("has a malformed signer identifier or certificate"):
        if token.sid.tag == 0x30:  # IssuerAndSerialNumber
            issuer, serial = token.sid.children()
            wanted = (issuer.raw, serial.expect(0x02, "serialNumber").integer())
            for der in token.certificates:
                tbs = _parse(der).children()[0].children()
                at = 1 if tbs[0].tag == 0xA0 else 0
                if (tbs[at + 2].raw, tbs[at].integer()) == wanted:
                    return _load_certificate(der), der
        elif token.sid.tag == 0x80:  # [0] SubjectKeyIdentifier
            for der in token.certificates:
                certificate = _load_certificate(der)
                with contextlib.suppress(x509.ExtensionNotFound):
                    ski = certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
                    if ski.value.digest == token.sid.content:
                        return certificate, der
    raise _Refused("none of the certificates it embeds is its signer's")


def _load_certificate(der: bytes) -> x509.Certificate:
    try:
        return x509.load_der_x509_certificate(der)
    except ValueError as exc:
        raise _Refused(f"it embeds a certificate that cannot be read: {exc}") from None


def _check_signing_certificate(
    attributes: dict[str, list[_Node]], signer_der: bytes, name: str
) -> None:
    """The ESS signingCertificate(V2) attribute must name the signer certificate (RFC 3161
    §2.4.2, RFC 5816): it binds the certificate to the signature."""
    with _der_errors("has a malformed signingCertificate attribute"):
        for oid, v2 in ((_ATTR_SIGNING_CERTIFICATE, False), (_ATTR_SIGNING_CERTIFICATE_V2, True)):
            for value in attributes.get(oid, []):
                first = value.expect(0x30, "SigningCertificate").children()[0].children()[0]
                fields = first.expect(0x30, "ESSCertID").children()
                hash_oid = _SHA1
                if v2:
                    hash_oid = "2.16.840.1.101.3.4.2.1"  # the default: SHA-256
                    if fields[0].tag == 0x30:
                        hash_oid, fields = fields[0].children()[0].oid(), fields[1:]
                name_of_hash = "sha1" if hash_oid == _SHA1 else _DIGESTS.get(hash_oid)
                if name_of_hash is None:
                    raise _Refused(f"its signingCertificate uses an unsupported hash ({hash_oid})")
                cert_hash = fields[0].expect(0x04, "certHash").content
                if not hmac.compare_digest(
                    cert_hash, hashlib.new(name_of_hash, signer_der).digest()
                ):
                    raise _Refused(
                        f"its signingCertificate attribute names another certificate than the "
                        f"embedded signer's ({name})"
                    )
                return
    raise _Refused("it does not name its signing certificate (no ESS signingCertificate)")


def _verify_signature(
    signer: x509.Certificate, token: _Token, digest_name: str, signed: bytes
) -> None:
    """Raise InvalidSignature, or :class:`_Refused` for an algorithm not supported."""
    with _der_errors("has a malformed signatureAlgorithm"):
        algorithm = token.signature_algorithm.children()
        oid = algorithm[0].oid()
        params = algorithm[1] if len(algorithm) > 1 else None
    key = signer.public_key()
    signature = token.signature
    if oid in _ECDSA_WITH or oid == _EC_PUBLIC_KEY:
        if isinstance(key, ec.EllipticCurvePublicKey):
            hash_class = _HASH_CLASSES[_ECDSA_WITH.get(oid, digest_name)]
            key.verify(signature, signed, ec.ECDSA(hash_class()))
            return
    elif oid in _RSA_WITH or oid == _RSA_ENCRYPTION:
        if isinstance(key, rsa.RSAPublicKey):
            hash_class = _HASH_CLASSES[_RSA_WITH.get(oid, digest_name)]
            key.verify(signature, signed, padding.PKCS1v15(), hash_class())
            return
    elif oid == _RSA_PSS:
        if isinstance(key, rsa.RSAPublicKey):
            hash_name, mgf_hash_name, salt = _pss_parameters(params)
            mgf = padding.MGF1(_HASH_CLASSES[mgf_hash_name]())
            pss = padding.PSS(mgf=mgf, salt_length=salt)
            key.verify(signature, signed, pss, _HASH_CLASSES[hash_name]())
            return
    elif oid == _ED25519:
        if isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(signature, signed)
            return
    elif oid == _ED448:
        if isinstance(key, ed448.Ed448PublicKey):
            key.verify(signature, signed)
            return
    else:
        raise _Refused(f"it is signed with an unsupported signature algorithm ({oid})")
    raise _Refused(f"its signature algorithm ({oid}) does not fit the signer's key")


def _pss_parameters(params: _Node | None) -> tuple[str, str, int]:
    """(hash, MGF1 hash, salt length) of RSASSA-PSS parameters; SHA-1 defaults refused."""
    hash_oid = mgf_hash_oid = _SHA1
    salt = 20
    with _der_errors("has malformed RSASSA-PSS parameters"):
        for field in params.expect(0x30, "RSASSA-PSS-params").children() if params else []:
            inner = _only(field)
            if field.tag == 0xA0:
                hash_oid = inner.children()[0].oid()
            elif field.tag == 0xA1:
                mgf, mgf_params = inner.children()
                if mgf.oid() != _MGF1:
                    raise _Refused(f"its RSASSA-PSS mask generation is not MGF1 ({mgf.oid()})")
                mgf_hash_oid = mgf_params.children()[0].oid()
            elif field.tag == 0xA2:
                salt = inner.expect(0x02, "saltLength").integer()
    names = [_DIGESTS.get(hash_oid), _DIGESTS.get(mgf_hash_oid)]
    if names[0] is None or names[1] is None:
        raise _Refused(f"its RSASSA-PSS signature uses an unsupported hash ({hash_oid})")
    return names[0], names[1], salt


def _load_roots(roots: Sequence[bytes]) -> list[x509.Certificate]:
    loaded: dict[bytes, x509.Certificate] = {}
    for number, root in enumerate(roots, 1):
        try:
            blob = bytes(root)
            if blob.lstrip().startswith(b"-----BEGIN"):
                certificates = x509.load_pem_x509_certificates(blob)
            else:
                certificates = [x509.load_der_x509_certificate(blob)]
        except (TypeError, ValueError) as exc:
            raise _Refused(
                f"root certificate #{number} is neither a PEM nor a DER certificate ({exc})"
            ) from None
        for certificate in certificates:
            loaded.setdefault(certificate.fingerprint(hashes.SHA256()), certificate)
    return list(loaded.values())


def _check_chain(examined: _Examined, data: bytes, roots: list[x509.Certificate]) -> None:
    """The signer chains to one of ``roots`` at genTime and may timestamp (rfc3161-client)."""
    name = examined.timestamp.tsa
    try:
        usage = examined.signer.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    except x509.ExtensionNotFound:
        usage = None
    except ValueError as exc:
        raise _Refused(f"the TSA certificate ({name}) has malformed extensions: {exc}") from None
    if usage is None or ExtendedKeyUsageOID.TIME_STAMPING not in usage.value:
        raise _Refused(
            f"the TSA certificate ({name}) lacks the timeStamping extended key usage: "
            "it is not meant to sign timestamps"
        )
    if not usage.critical:
        raise _Refused(
            f"the TSA certificate ({name}) has a timeStamping extended key usage that is not "
            "critical, as RFC 3161 requires"
        )
    builder = VerifierBuilder()
    for root in roots:
        builder = builder.add_root_certificate(root)
    try:
        with _library("could not check the TSA certificate's chain"):
            verifier = builder.build()
            verifier.verify_message(decode_timestamp_response(examined.response), data)
    except VerificationError as exc:
        detail = re.findall(r'data: "([^"]+)"', str(exc))
        reason = detail[-1] if detail else str(exc)
        raise _Refused(
            f"the TSA certificate ({name}) does not chain to any of the {len(roots)} root "
            f"certificate(s) given, at {examined.timestamp.gen_time:%Y-%m-%d %H:%M:%S} UTC "
            f"({reason})"
        ) from None


@contextlib.contextmanager
def _library(what: str) -> Iterator[None]:
    """Translate rfc3161-client's exceptions (a Rust panic included) into :class:`_Refused`;
    VerificationError goes through for :func:`_check_chain` to explain."""
    try:
        yield
    except (_Refused, VerificationError):
        raise
    except Exception as exc:
        raise _Refused(f"{what}: {exc}") from None
    except BaseException as exc:  # pyo3's PanicException derives from BaseException
        if type(exc).__name__ != "PanicException":
            raise
        raise _Refused(f"{what}: the parser failed ({exc})") from None


def _show(nonce: int | None) -> str:
    return "none" if nonce is None else f"{nonce:#x}"


# -- A minimal DER reader (what rfc3161-client does not expose) ----------------------------


class _DERError(ValueError):
    """Not the DER expected."""


@dataclass(frozen=True, slots=True)
class _Node:
    """One DER TLV: ``tag`` is its identifier octet (low tag numbers only)."""

    tag: int
    raw: bytes
    header: int

    @property
    def content(self) -> bytes:
        return self.raw[self.header :]

    def children(self) -> list[_Node]:
        if not self.tag & 0x20:
            raise _DERError(f"tag {self.tag:#04x} is not constructed")
        nodes, data, at = [], self.content, 0
        while at < len(data):
            node, at = _read(data, at)
            nodes.append(node)
        return nodes

    def expect(self, tag: int, what: str) -> _Node:
        if self.tag != tag:
            raise _DERError(f"{what or 'element'}: tag {self.tag:#04x} instead of {tag:#04x}")
        return self

    def integer(self) -> int:
        if self.tag != 0x02 or not self.content:
            raise _DERError("not an INTEGER")
        return int.from_bytes(self.content, "big", signed=True)

    def oid(self) -> str:
        body = self.content
        if self.tag != 0x06 or not body or body[-1] & 0x80:
            raise _DERError("not an OBJECT IDENTIFIER")
        arcs: list[int] = []
        value = 0
        for byte in body:
            value = (value << 7) | (byte & 0x7F)
            if not byte & 0x80:
                arcs.append(value)
                value = 0
        first = min(arcs[0] // 40, 2)
        return ".".join(str(arc) for arc in (first, arcs[0] - 40 * first, *arcs[1:]))

    def bits(self) -> list[int]:
        """The numbers of the bits set in a BIT STRING (bit 0 first)."""
        if self.tag != 0x03 or not self.content:
            raise _DERError("not a BIT STRING")
        body = self.content[1:]
        return [i for i in range(len(body) * 8) if body[i // 8] & (0x80 >> (i % 8))]


def _read(data: bytes, at: int) -> tuple[_Node, int]:
    if at + 2 > len(data):
        raise _DERError("truncated")
    tag, first = data[at], data[at + 1]
    if tag & 0x1F == 0x1F:
        raise _DERError("high tag numbers are not expected here")
    header = 2
    if first & 0x80:
        count = first & 0x7F
        if count == 0 or count > 4:
            raise _DERError("indefinite or oversized length (not DER)")
        length = int.from_bytes(data[at + 2 : at + 2 + count], "big")
        header += count
    else:
        length = first
    end = at + header + length
    if end > len(data):
        raise _DERError("truncated")
    return _Node(tag, data[at:end], header), end


def _parse(data: bytes) -> _Node:
    node, end = _read(data, 0)
    if end != len(data):
        raise _DERError(f"{len(data) - end} bytes after the end")
    return node


def _only(node: _Node) -> _Node:
    children = node.children()
    if len(children) != 1:
        raise _DERError(f"{len(children)} elements in an explicit tag instead of one")
    return children[0]


def _der(tag: int, content: bytes) -> bytes:
    length = len(content)
    if length < 0x80:
        return bytes([tag, length]) + content
    size = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(size)]) + size + content


@contextlib.contextmanager
def _der_errors(what: str) -> Iterator[None]:
    """DER surprises (wrong tags, missing elements) as :class:`_Refused`: ``it {what}``."""
    try:
        yield
    except _Refused:
        raise
    except (_DERError, IndexError, ValueError) as exc:
        raise _Refused(f"it {what} ({exc or type(exc).__name__})") from None
