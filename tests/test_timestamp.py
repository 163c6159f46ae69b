"""RFC 3161 timestamps (``coopflow._timestamp``) against the offline test TSA of ``tests.tsa``.

Everything runs on 127.0.0.1: the ``tsa`` fixture (``tests/conftest.py``) serves a certomancer
PKI; other PKIs are made here when a test needs a second authority.
"""

from __future__ import annotations

import datetime
import socket
from collections.abc import Iterator

import pytest
from asn1crypto import tsp
from coopflow._timestamp import Timestamp, request, verify
from coopflow.errors import EvidenceError
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from tests.tsa import TestTSA, make_pki, rejection_response

DATA = b"checkpoint 7: journal head 3f5e...\n"


@pytest.fixture(scope="module")
def stamp(tsa: TestTSA) -> Timestamp:
    """One timestamp of :data:`DATA`, shared by the tests that only read it."""
    return request(tsa.url, DATA)


@pytest.fixture(scope="module")
def other_tsa() -> Iterator[TestTSA]:
    """A TSA of another, unrelated PKI."""
    with TestTSA(make_pki("Other Authority")) as server:
        yield server


def flip(blob: bytes, index: int) -> bytes:
    changed = bytearray(blob)
    changed[index] ^= 0x01
    return bytes(changed)


# -- Round trip ----------------------------------------------------------------------------


def test_request_then_verify_with_the_root(tsa: TestTSA, stamp: Timestamp) -> None:
    assert stamp.hash_algorithm == "sha256"
    assert stamp.tsa == tsa.pki.tsa_subject == "CN=Coopflow Test TSA,O=Coopflow Test,C=FR"
    assert stamp.serial > 0
    assert tsp.TimeStampResp.load(stamp.token)["status"]["status"].native == "granted"
    assert verify(stamp.token, DATA, roots=[tsa.root_pem]) == stamp
    root_der = x509.load_pem_x509_certificate(tsa.root_pem).public_bytes(Encoding.DER)
    assert verify(stamp.token, DATA, roots=[root_der]) == stamp


def test_gen_time_is_aware_utc_and_now(stamp: Timestamp) -> None:
    assert stamp.gen_time.tzinfo is not None
    assert stamp.gen_time.utcoffset() == datetime.timedelta(0)
    now = datetime.datetime.now(datetime.UTC)
    assert abs(now - stamp.gen_time) < datetime.timedelta(minutes=1)


def test_each_request_is_a_new_token(tsa: TestTSA, stamp: Timestamp) -> None:
    again = request(tsa.url, DATA)
    assert again.serial != stamp.serial
    assert again.token != stamp.token
    assert verify(again.token, DATA, roots=[tsa.root_pem]).serial == again.serial


def test_verify_accepts_a_bare_timestamp_token(tsa: TestTSA, stamp: Timestamp) -> None:
    bare = tsp.TimeStampResp.load(stamp.token)["time_stamp_token"].dump()
    checked = verify(bare, DATA, roots=[tsa.root_pem])
    assert checked.token == bare
    assert (checked.gen_time, checked.serial, checked.tsa) == (
        stamp.gen_time,
        stamp.serial,
        stamp.tsa,
    )


def test_without_roots_only_the_embedded_certificate_is_used(
    tsa: TestTSA, other_tsa: TestTSA
) -> None:
    """roots=() proves integrity and the signer, not trust: another PKI's token passes."""
    foreign = request(other_tsa.url, DATA)
    assert verify(foreign.token, DATA).tsa == other_tsa.pki.tsa_subject
    with pytest.raises(EvidenceError, match="does not chain to any of the 1 root"):
        verify(foreign.token, DATA, roots=[tsa.root_pem])


def test_the_signer_may_chain_through_an_embedded_intermediate() -> None:
    with TestTSA(make_pki("Chained", intermediate=True)) as chained:
        stamp = request(chained.url, DATA)
        assert (
            verify(stamp.token, DATA, roots=[chained.root_pem]).tsa
            == "CN=Chained TSA,O=Chained,C=FR"
        )


# -- Trust ---------------------------------------------------------------------------------


def test_verify_refuses_another_root(tsa: TestTSA, other_tsa: TestTSA, stamp: Timestamp) -> None:
    with pytest.raises(EvidenceError, match="does not chain to any of the 1 root") as refused:
        verify(stamp.token, DATA, roots=[other_tsa.root_pem])
    assert "CN=Coopflow Test TSA" in str(refused.value)
    assert "unable to get local issuer certificate" in str(refused.value)
    # Any one of the roots given will do.
    assert verify(stamp.token, DATA, roots=[other_tsa.root_pem, tsa.root_pem]) == stamp


def test_the_tsa_certificate_itself_is_no_root(tsa: TestTSA, stamp: Timestamp) -> None:
    """Roots are trust anchors (CA certificates): pinning the TSA's own certificate fails."""
    with pytest.raises(EvidenceError, match="does not chain"):
        verify(stamp.token, DATA, roots=[tsa.tsa_cert_pem])


def test_verify_refuses_a_tsa_without_the_time_stamping_usage() -> None:
    with TestTSA(make_pki("Code Signer", time_stamping=False)) as wrong:
        stamp = request(wrong.url, DATA)  # signed fine, and no roots are checked here
        with pytest.raises(EvidenceError, match="lacks the timeStamping extended key usage"):
            verify(stamp.token, DATA, roots=[wrong.root_pem])


@pytest.mark.parametrize(
    ("roots", "message"),
    [
        ([b"not a certificate"], r"root certificate #1 is neither a PEM nor a DER"),
        ([b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"], r"#1 is neither"),
    ],
)
def test_verify_refuses_unreadable_roots(
    stamp: Timestamp, roots: list[bytes], message: str
) -> None:
    with pytest.raises(EvidenceError, match=message):
        verify(stamp.token, DATA, roots=roots)


def test_roots_must_be_a_sequence_of_certificates(tsa: TestTSA, stamp: Timestamp) -> None:
    with pytest.raises(EvidenceError, match="sequence of certificates"):
        verify(stamp.token, DATA, roots=tsa.root_pem)  # type: ignore[arg-type]


# -- Integrity -----------------------------------------------------------------------------


@pytest.mark.parametrize("index", [0, len(DATA) // 2, len(DATA) - 1])
def test_data_changed_by_one_byte_is_refused(tsa: TestTSA, stamp: Timestamp, index: int) -> None:
    with pytest.raises(EvidenceError, match="message imprint is not the SHA-256 of the data"):
        verify(stamp.token, flip(DATA, index), roots=[tsa.root_pem])
    with pytest.raises(EvidenceError, match="imprint"):
        verify(stamp.token, DATA + b"\n")


def test_a_corrupted_signature_is_refused(tsa: TestTSA, stamp: Timestamp) -> None:
    # The token ends with the SignerInfo's signature (there are no unsigned attributes).
    corrupted = flip(stamp.token, len(stamp.token) - 3)
    for roots in ([], [tsa.root_pem]):
        with pytest.raises(EvidenceError, match="signature does not verify"):
            verify(corrupted, DATA, roots=roots)


def test_a_forged_gen_time_is_refused(stamp: Timestamp) -> None:
    seconds = stamp.gen_time.strftime("%Y%m%d%H%M%S").encode()
    at = stamp.token.index(seconds) + len(seconds) - 1  # the last digit of the seconds
    forged = bytearray(stamp.token)
    forged[at] = ord("0") if forged[at] != ord("0") else ord("1")
    with pytest.raises(EvidenceError, match="TSTInfo does not match the digest its signature"):
        verify(bytes(forged), DATA)


def test_every_corrupted_byte_is_refused_or_harmless(tsa: TestTSA, stamp: Timestamp) -> None:
    """Flipping any one bit of the token is refused, except in the few fields no signature
    covers (the response status, version numbers), and then the token still says the same."""
    meaning = (stamp.gen_time, stamp.serial, stamp.tsa, stamp.hash_algorithm)
    accepted = []
    for index in range(len(stamp.token)):
        try:
            checked = verify(flip(stamp.token, index), DATA, roots=[tsa.root_pem])
        except EvidenceError:
            continue
        accepted.append(index)
        assert (checked.gen_time, checked.serial, checked.tsa, checked.hash_algorithm) == meaning
    assert len(accepted) <= 4, accepted


@pytest.mark.parametrize(
    ("token", "message"),
    [
        (b"", "not a DER TimeStampResp or TimeStampToken"),
        (b"\x30\x00", "not a DER TimeStampResp or TimeStampToken"),
        (b"<html>oops</html>", "not a DER TimeStampResp or TimeStampToken"),
        (rejection_response(), r"status rejection \(2\)"),
    ],
)
def test_verify_refuses_what_is_no_token(token: bytes, message: str) -> None:
    with pytest.raises(EvidenceError, match=message):
        verify(token, DATA)


def test_a_truncated_token_is_refused(stamp: Timestamp) -> None:
    with pytest.raises(EvidenceError, match="timestamp token refused"):
        verify(stamp.token[:-1], DATA)
    with pytest.raises(EvidenceError, match="timestamp token refused"):
        verify(stamp.token + b"\x00", DATA)


# -- What the TSA answers ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "message"),
    [
        (
            "reject",
            r"refused to timestamp: status rejection \(2\); failure: badAlg \(unrecognized or "
            r"unsupported algorithm\); the TSA says: 'unsupported hash algorithm \(test TSA\)'",
        ),
        ("garbage", r"sent a reply that is not a DER TimeStampResp \(Content-Type"),
        ("http-500", r"answered HTTP 500 Internal Server Error: the TSA fell over"),
        ("redirect", r"answered HTTP 302 Found, a redirect to /: redirects are not followed"),
        ("wrong-nonce", r"sent a timestamp for another request: nonce 0x[0-9a-f]+ instead of"),
        ("wrong-imprint", r"sent an unusable reply: its message imprint is not the SHA-256"),
    ],
)
def test_tsa_failures_are_evidence_errors(tsa: TestTSA, mode: str, message: str) -> None:
    url = tsa.url_for(mode)
    before = tsa.requests
    with pytest.raises(EvidenceError, match=message) as failed:
        request(url, DATA)
    assert f"the TSA at {url} " in str(failed.value)
    assert tsa.requests == before + 1  # one POST, nothing retried nor followed


def test_a_closed_port_is_refused_connection() -> None:
    with socket.socket() as bound:  # bound, never listening: connecting is refused
        bound.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{bound.getsockname()[1]}/tsa"
        with pytest.raises(EvidenceError, match=r"(?i)connection refused") as failed:
            request(url, DATA)
    assert str(failed.value).startswith(f"could not reach the TSA at {url}: ")


def test_a_tsa_too_slow_times_out(tsa: TestTSA) -> None:
    url = tsa.url_for("slow")
    with pytest.raises(EvidenceError, match=r"did not answer within 0\.2 s") as failed:
        request(url, DATA, timeout=0.2)
    assert url in str(failed.value)


@pytest.mark.parametrize(
    "url",
    ["file:///etc/passwd", "ftp://127.0.0.1/tsa", "127.0.0.1:8080/tsa", "http://", "", "tsa"],
)
def test_non_http_urls_are_refused(url: str) -> None:
    with pytest.raises(EvidenceError, match="is not an http:// or https:// URL"):
        request(url, DATA)


def test_empty_data_is_refused(tsa: TestTSA) -> None:
    with pytest.raises(EvidenceError, match="the data is empty"):
        request(tsa.url, b"")


def test_proxies_from_the_environment_are_not_used(
    tsa: TestTSA, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY"):
        monkeypatch.setenv(name, "http://127.0.0.1:9/")  # the discard port: nobody there
    assert request(tsa.url, DATA).tsa == tsa.pki.tsa_subject
