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
  SignerInfo's issuer and serial number, or subject key identifier): the signed
  ``contentType`` and ``messageDigest`` attributes, the ESS ``signingCertificate`` (v1 or v2)
  naming that certificate, and the signature itself (RSA PKCS #1 v1.5 or PSS, ECDSA,
  Ed25519, Ed448; SHA-256/384/512);
* the message imprint: the token must timestamp exactly SHA-256 (or -384, -512) of the data;
* with ``roots``: that the signer certificate chains to one of them, valid at ``genTime``,
  and has the critical ``timeStamping`` extended key usage.

The libraries do the work: `asn1crypto <https://github.com/wbond/asn1crypto>`_ parses the
reply (``PKIStatusInfo``, the CMS ``SignedData``, the ``TSTInfo``), ``cryptography`` checks
the signature, and `rfc3161-client <https://github.com/trailofbits/rfc3161-client>`_ builds
the request and does the chain check (OpenSSL's ``PKCS7_verify`` at ``genTime``, then the
EKU).  rfc3161-client cannot verify anything without a root (``VerifierBuilder.build``
refuses), nor does it expose the failure information of a rejection: hence the status and
CMS checks here, which need no root.

Every failure raises :class:`coopflow.errors.EvidenceError` (its message in the language of
the moment: :mod:`coopflow._i18n`), naming the URL or the token and what went wrong; no
foreign exception escapes.  Revocation (CRL, OCSP) is not checked.
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
from typing import IO, Any

from asn1crypto import algos, cms, core, tsp
from asn1crypto import x509 as asn1_x509
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

from ._i18n import N_, _
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
        raise EvidenceError(_("TSA URL {url!r} is not an http:// or https:// URL").format(url=url))
    if not data:
        raise EvidenceError(_("nothing to timestamp at {url}: the data is empty").format(url=url))
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
        raise EvidenceError(
            _("could not build a timestamp request for {url}: {error}").format(url=url, error=exc)
        ) from exc
    reply = _post(url, body, timeout)
    try:
        examined = _examine(reply, data)
    except _Rejected as exc:
        raise EvidenceError(
            _("the TSA at {url} refused to timestamp: {error}").format(url=url, error=exc)
        ) from None
    except _Refused as exc:
        raise EvidenceError(
            _("the TSA at {url} sent an unusable reply: {error}").format(url=url, error=exc)
        ) from None
    except Exception as exc:  # a bug here, or a library surprise: still an EvidenceError
        raise EvidenceError(
            _("the reply of the TSA at {url} could not be checked: {type}: {error}").format(
                url=url, type=type(exc).__name__, error=exc
            )
        ) from exc
    if examined.nonce != nonce:
        raise EvidenceError(
            _(
                "the TSA at {url} sent a timestamp for another request: nonce {got} instead "
                "of {sent} (a replayed or misrouted reply)"
            ).format(url=url, got=_show(examined.nonce), sent=_show(nonce))
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
            raise _Refused(_("roots must be a sequence of certificates, e.g. [pem], not one value"))
        token, data = bytes(token), bytes(data)
        trusted = _load_roots(roots)
        examined = _examine(token, data)
        if trusted:
            _check_chain(examined, data, trusted)
    except _Refused as exc:
        raise EvidenceError(_("timestamp token refused: {error}").format(error=exc)) from None
    except Exception as exc:  # a bug here, or a library surprise: still an EvidenceError
        raise EvidenceError(
            _("timestamp token could not be checked: {type}: {error}").format(
                type=type(exc).__name__, error=exc
            )
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
        raise EvidenceError(
            _("could not reach the TSA at {url}: {reason}").format(
                url=url, reason=_reason(exc.reason)
            )
        ) from None
    except TimeoutError:
        raise EvidenceError(_timed_out(url, timeout)) from None
    except (OSError, http.client.HTTPException, ValueError) as exc:
        raise EvidenceError(
            _("could not talk to the TSA at {url}: {reason}").format(url=url, reason=_reason(exc))
        ) from None
    if len(reply) > MAX_REPLY_BYTES:
        raise EvidenceError(
            _("the TSA at {url} sent more than {limit} bytes: not a timestamp reply").format(
                url=url, limit=MAX_REPLY_BYTES
            )
        )
    if not reply.startswith(b"\x30"):
        raise EvidenceError(
            _(
                "the TSA at {url} sent a reply that is not a DER TimeStampResp (Content-Type "
                "{content_type}, {n} bytes, starting {reply!r})"
            ).format(url=url, content_type=content_type, n=len(reply), reply=reply[:24])
        )
    return reply


def _http_error(url: str, exc: urllib.error.HTTPError) -> str:
    """What an HTTP error answer says; closes it."""
    with contextlib.closing(exc):
        message = _("the TSA at {url} answered HTTP {code} {reason}").format(
            url=url, code=exc.code, reason=exc.reason
        )
        if 300 <= exc.code < 400:
            location = exc.headers.get("Location") if exc.headers else None
            if location:
                return _(
                    "{message}, a redirect to {location}: redirects are not followed, give the "
                    "final URL"
                ).format(message=message, location=location)
            return _(
                "{message}, a redirect: redirects are not followed, give the final URL"
            ).format(message=message)
        with contextlib.suppress(Exception):
            text = exc.read(300).decode("utf-8", "replace").strip()
            if text and exc.headers.get_content_maintype() == "text":
                message += f": {' '.join(text.split())[:200]}"
        return message


def _timed_out(url: str, timeout: float) -> str:
    return _("the TSA at {url} did not answer within {timeout} s").format(
        url=url, timeout=f"{timeout:g}"
    )


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
    #: The TimeStampToken, for rfc3161-client's verifier.
    token: cms.ContentInfo


#: PKIFailureInfo bits, by asn1crypto's names, as RFC 3161 names and explains them.
_FAILURES = {
    "bad_alg": N_("badAlg (unrecognized or unsupported algorithm)"),
    "bad_request": N_("badRequest (transaction not permitted or supported)"),
    "bad_data_format": N_("badDataFormat (the data submitted has the wrong format)"),
    "time_not_available": N_("timeNotAvailable (the TSA's time source is not available)"),
    "unaccepted_policy": N_("unacceptedPolicy (the requested TSA policy is not supported)"),
    "unaccepted_extensions": N_("unacceptedExtension (the requested extension is not supported)"),
    "add_info_not_available": (
        N_("addInfoNotAvailable (the additional information requested is not available)")
    ),
    "system_failure": N_("systemFailure (the request cannot be handled due to system failure)"),
}
#: The digests accepted for imprints and signatures, by asn1crypto's (and hashlib's) names.
_DIGESTS: dict[str, type[hashes.HashAlgorithm]] = {
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}
#: The RSA PKCS #1 v1.5 and ECDSA signature algorithms accepted, by asn1crypto's names, with
#: their digest (None: the SignerInfo's digestAlgorithm).
_RSA_PKCS1: dict[str, str | None] = {
    "sha256_rsa": "sha256",
    "sha384_rsa": "sha384",
    "sha512_rsa": "sha512",
    "rsassa_pkcs1v15": None,  # rsaEncryption
}
_ECDSA: dict[str, str | None] = {
    "sha256_ecdsa": "sha256",
    "sha384_ecdsa": "sha384",
    "sha512_ecdsa": "sha512",
    "1.2.840.10045.2.1": None,  # id-ecPublicKey, as some signers write it
}
_SIGNATURES = {*_RSA_PKCS1, *_ECDSA, "rsassa_pss", "ed25519", "ed448"}


def _examine(blob: bytes, data: bytes) -> _Examined:
    """Parse ``blob`` (TimeStampResp or TimeStampToken), check its signature with the
    embedded signer certificate and its imprint against ``data``; raises :class:`_Refused`."""
    token = _parse(blob)
    with _malformed(_("it is not a well-formed TimeStampToken ({detail})")):
        if token["content_type"].native != "signed_data":
            raise _Refused(_("its TimeStampToken is not a CMS SignedData"))
        signed = token["content"]
        content = signed["encap_content_info"]
        if content["content_type"].native != "tst_info" or not content["content"]:
            raise _Refused(_("its SignedData holds no TSTInfo"))
        tst_info = bytes(content["content"])
        signer = _check_signature(signed, tst_info)
        info = tsp.TSTInfo.load(tst_info, strict=True)
        hash_algorithm = info["message_imprint"]["hash_algorithm"]["algorithm"]
        hashed: bytes = info["message_imprint"]["hashed_message"].native
        gen_time: datetime.datetime = info["gen_time"].native
        serial: int = info["serial_number"].native
        nonce: int | None = info["nonce"].native
    hash_name = hash_algorithm.native
    if hash_name not in _DIGESTS:
        raise _Refused(
            _("the message imprint uses an unsupported hash algorithm ({dotted})").format(
                dotted=hash_algorithm.dotted
            )
        )
    digest = hashlib.new(hash_name, data).digest()
    if not hmac.compare_digest(digest, hashed):
        raise _Refused(
            _(
                "its message imprint is not the {hash} of the data: the token timestamps "
                "other data (imprint {imprint}..., the data's {digest}...)"
            ).format(
                hash=hash_name.replace("sha", "SHA-"),
                imprint=hashed.hex()[:16],
                digest=digest.hex()[:16],
            )
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
        token=token,
    )


def _parse(blob: bytes) -> cms.ContentInfo:
    """The TimeStampToken of ``blob`` (itself, or in a TimeStampResp whose status is granted)."""
    with _malformed(_("it is not a DER TimeStampResp or TimeStampToken ({detail})")):
        outer = core.Sequence.load(blob, strict=True)
        if isinstance(outer[0], core.ObjectIdentifier):  # ContentInfo: a bare TimeStampToken
            return cms.ContentInfo.load(blob, strict=True)
        # asn1crypto's TimeStampResp requires the token, which a rejection has not (RFC 3161
        # §2.4.2): the status is read on its own first.
        _check_status(tsp.PKIStatusInfo.load(outer[0].dump(), strict=True))
        if len(outer) < 2:
            raise _Refused(_("status granted but no timeStampToken in the reply"))
        return tsp.TimeStampResp.load(blob, strict=True)["time_stamp_token"]


def _check_status(status_info: tsp.PKIStatusInfo) -> None:
    """Raise :class:`_Rejected` unless the ``PKIStatusInfo`` says granted (mods or not)."""
    status = status_info["status"]
    if int(status) in (0, 1):
        return
    message = _("status {status} ({code})").format(status=status.native, code=int(status))
    if failures := status_info["fail_info"].native:  # a set of names (numbers if unknown)
        explained = sorted(
            _(_FAILURES[bit]) if bit in _FAILURES else _("failure bit {bit}").format(bit=bit)
            for bit in failures
        )
        message += _("; failure: {failures}").format(failures=", ".join(explained))
    if texts := status_info["status_string"].native:
        message += _("; the TSA says: {texts}").format(
            texts=" / ".join(repr(text) for text in texts)
        )
    raise _Rejected(message)


def _check_signature(signed: cms.SignedData, tst_info: bytes) -> x509.Certificate:
    """The embedded signer certificate, once it verifies the ``SignedData``'s signature over
    ``tst_info`` (its eContent, the DER TSTInfo)."""
    signer_infos = signed["signer_infos"]
    if len(signer_infos) != 1:
        raise _Refused(_("the token has {n} signers instead of one").format(n=len(signer_infos)))
    signer_info = signer_infos[0]
    digest = signer_info["digest_algorithm"]["algorithm"]
    if digest.native not in [a["algorithm"].native for a in signed["digest_algorithms"]]:
        raise _Refused(_("its signer's digest algorithm is not among its digestAlgorithms"))
    if digest.native not in _DIGESTS:
        raise _Refused(
            _("it is signed with an unsupported digest algorithm ({dotted})").format(
                dotted=digest.dotted
            )
        )
    signer_der = _find_signer(signed, signer_info["sid"]).dump()
    try:
        signer = x509.load_der_x509_certificate(signer_der)
    except (ValueError, x509.InvalidVersion) as exc:
        raise _Refused(
            _("it embeds a signer certificate that cannot be read ({error})").format(error=exc)
        ) from None
    name = signer.subject.rfc4514_string()
    signed_attrs = signer_info["signed_attrs"]
    if not signed_attrs:
        raise _Refused(_("its signature covers no signed attributes (RFC 3161 requires them)"))
    attributes: dict[str, list[Any]] = {}
    for attribute in signed_attrs:
        attributes.setdefault(attribute["type"].native, []).extend(attribute["values"])
    if [value.native for value in attributes.get("content_type", [])] != ["tst_info"]:
        raise _Refused(_("its signed contentType attribute is not id-ct-TSTInfo"))
    digests = [value.native for value in attributes.get("message_digest", [])]
    if len(digests) != 1 or not hmac.compare_digest(
        digests[0], hashlib.new(digest.native, tst_info).digest()
    ):
        raise _Refused(
            _("its TSTInfo does not match the digest its signature covers: the token was altered")
        )
    _check_signing_certificate(attributes, signer_der, name)
    try:  # signed as a SET (RFC 5652 §5.4), stored with an implicit [0] tag: untag() restores it
        _verify_signature(signer, signer_info, digest.native, signed_attrs.untag().dump())
    except InvalidSignature:
        raise _Refused(
            _(
                "its signature does not verify with the TSA certificate it embeds ({name}): "
                "the token was altered or was not signed by that TSA"
            ).format(name=name)
        ) from None
    return signer


def _find_signer(signed: cms.SignedData, sid: cms.SignerIdentifier) -> asn1_x509.Certificate:
    """The embedded certificate that the SignerInfo's ``sid`` names."""
    certificates = [
        choice.chosen for choice in signed["certificates"] if choice.name == "certificate"
    ]
    if not certificates:
        raise _Refused(_("it embeds no certificate (requested without certReq?): cannot verify"))
    for certificate in certificates:
        if sid.name == "issuer_and_serial_number":
            found = (
                certificate.issuer.dump() == sid.chosen["issuer"].dump()
                and certificate.serial_number == sid.chosen["serial_number"].native
            )
        else:  # subject_key_identifier
            found = certificate.key_identifier == sid.chosen.native
        if found:
            return certificate
    raise _Refused(_("none of the certificates it embeds is its signer's"))


def _check_signing_certificate(
    attributes: dict[str, list[Any]], signer_der: bytes, name: str
) -> None:
    """The ESS signingCertificate(V2) attribute must name the signer certificate (RFC 3161
    §2.4.2, RFC 5816): it binds the certificate to the signature."""
    named = [("sha1", value["certs"][0]) for value in attributes.get("signing_certificate", [])]
    for value in attributes.get("signing_certificate_v2", []):
        cert_id = value["certs"][0]  # the first ESSCertID is the signer's
        named.append((cert_id["hash_algorithm"]["algorithm"].native, cert_id))
    if not named:
        raise _Refused(_("it does not name its signing certificate (no ESS signingCertificate)"))
    for hash_name, cert_id in named:
        if hash_name != "sha1" and hash_name not in _DIGESTS:
            raise _Refused(
                _("its signingCertificate uses an unsupported hash ({hash_name})").format(
                    hash_name=hash_name
                )
            )
        if not hmac.compare_digest(
            cert_id["cert_hash"].native, hashlib.new(hash_name, signer_der).digest()
        ):
            raise _Refused(
                _(
                    "its signingCertificate attribute names another certificate than the embedded "
                    "signer's ({name})"
                ).format(name=name)
            )


def _verify_signature(
    signer: x509.Certificate, signer_info: cms.SignerInfo, digest_name: str, signed: bytes
) -> None:
    """Raise InvalidSignature, or :class:`_Refused` for an algorithm not supported."""
    key, signature = signer.public_key(), signer_info["signature"].native
    algorithm = signer_info["signature_algorithm"]
    name = algorithm["algorithm"].native
    digest = _DIGESTS[_RSA_PKCS1.get(name) or _ECDSA.get(name) or digest_name]
    if name in _RSA_PKCS1 and isinstance(key, rsa.RSAPublicKey):
        key.verify(signature, signed, padding.PKCS1v15(), digest())
    elif name in _ECDSA and isinstance(key, ec.EllipticCurvePublicKey):
        key.verify(signature, signed, ec.ECDSA(digest()))
    elif name == "rsassa_pss" and isinstance(key, rsa.RSAPublicKey):
        key.verify(signature, signed, *_pss(algorithm["parameters"]))
    elif (name == "ed25519" and isinstance(key, ed25519.Ed25519PublicKey)) or (
        name == "ed448" and isinstance(key, ed448.Ed448PublicKey)
    ):
        key.verify(signature, signed)
    elif name in _SIGNATURES:
        raise _Refused(
            _("its signature algorithm ({name}) does not fit the signer's key").format(name=name)
        )
    else:
        raise _Refused(
            _("it is signed with an unsupported signature algorithm ({name})").format(name=name)
        )


def _pss(params: algos.RSASSAPSSParams) -> tuple[padding.PSS, hashes.HashAlgorithm]:
    """The padding and hash of RSASSA-PSS ``params``; SHA-1 (the defaults) refused."""
    mask = params["mask_gen_algorithm"]
    if mask["algorithm"].native != "mgf1":
        raise _Refused(
            _("its RSASSA-PSS mask generation is not MGF1 ({dotted})").format(
                dotted=mask["algorithm"].dotted
            )
        )
    hash_name = params["hash_algorithm"]["algorithm"].native
    mgf_hash_name = mask["parameters"]["algorithm"].native
    if hash_name not in _DIGESTS or mgf_hash_name not in _DIGESTS:
        raise _Refused(
            _("its RSASSA-PSS signature uses an unsupported hash ({hash_name})").format(
                hash_name=hash_name
            )
        )
    mgf = padding.MGF1(_DIGESTS[mgf_hash_name]())
    return padding.PSS(mgf, params["salt_length"].native), _DIGESTS[hash_name]()


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
                _(
                    "root certificate #{number} is neither a PEM nor a DER certificate ({error})"
                ).format(number=number, error=exc)
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
        raise _Refused(
            _("the TSA certificate ({name}) has malformed extensions: {error}").format(
                name=name, error=exc
            )
        ) from None
    if usage is None or ExtendedKeyUsageOID.TIME_STAMPING not in usage.value:
        raise _Refused(
            _(
                "the TSA certificate ({name}) lacks the timeStamping extended key usage: it is "
                "not meant to sign timestamps"
            ).format(name=name)
        )
    if not usage.critical:
        raise _Refused(
            _(
                "the TSA certificate ({name}) has a timeStamping extended key usage that is "
                "not critical, as RFC 3161 requires"
            ).format(name=name)
        )
    builder = VerifierBuilder()
    for root in roots:
        builder = builder.add_root_certificate(root)
    # rfc3161-client verifies a response: the token, in one of status granted.
    granted = {"status": {"status": "granted"}, "time_stamp_token": examined.token}
    try:
        with _library(_("could not check the TSA certificate's chain")):
            response = decode_timestamp_response(tsp.TimeStampResp(granted).dump())
            builder.build().verify_message(response, data)
    except VerificationError as exc:
        detail = re.findall(r'data: "([^"]+)"', str(exc))
        reason = detail[-1] if detail else str(exc)
        raise _Refused(
            _(
                "the TSA certificate ({name}) does not chain to any of the {n} root "
                "certificate(s) given, at {at} UTC ({reason})"
            ).format(
                name=name,
                n=len(roots),
                at=f"{examined.timestamp.gen_time:%Y-%m-%d %H:%M:%S}",
                reason=reason,
            )
        ) from None


@contextlib.contextmanager
def _malformed(what: str) -> Iterator[None]:
    """asn1crypto's complaints about the DER (it parses lazily, as values are read) as
    :class:`_Refused`: ``what``, a message whose ``{detail}`` is the complaint."""
    try:
        yield
    except _Refused:
        raise
    except (ValueError, TypeError, LookupError) as exc:  # LookupError: KeyError, IndexError
        detail = " ".join(str(exc).split())  # asn1crypto's are on several lines
        raise _Refused(what.format(detail=detail or type(exc).__name__)) from None


@contextlib.contextmanager
def _library(what: str) -> Iterator[None]:
    """Translate rfc3161-client's exceptions (a Rust panic included) into :class:`_Refused`;
    VerificationError goes through for :func:`_check_chain` to explain."""
    try:
        yield
    except (_Refused, VerificationError):
        raise
    except Exception as exc:
        raise _Refused(_("{what}: {error}").format(what=what, error=exc)) from None
    except BaseException as exc:  # pyo3's PanicException derives from BaseException
        if type(exc).__name__ != "PanicException":
            raise
        raise _Refused(
            _("{what}: the parser failed ({error})").format(what=what, error=exc)
        ) from None


def _show(nonce: int | None) -> str:
    return "none" if nonce is None else f"{nonce:#x}"
