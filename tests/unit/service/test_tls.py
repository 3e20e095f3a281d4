"""`veil serve` over TLS with client certificates, and no plain HTTP off loopback unless asked."""

from __future__ import annotations

import datetime
import ipaddress
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="the service needs veil[server]")

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

VEIL = str(Path(sys.executable).parent / "veil")


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _certificate(subject: str, key: ec.EllipticCurvePrivateKey, issuer: tuple[x509.Name, ec.EllipticCurvePrivateKey],
                 *, ca: bool = False) -> x509.Certificate:  # fmt: skip
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer[0])
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False
        )
    return builder.sign(issuer[1], hashes.SHA256())


def _write(folder: Path, name: str, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> tuple[Path, Path]:
    cert_path, key_path = folder / f"{name}.pem", folder / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))  # fmt: skip
    return cert_path, key_path


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("pki")
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _certificate("veil test CA", ca_key, (_name("veil test CA"), ca_key), ca=True)
    (folder / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths = {"ca": folder / "ca.pem"}
    for name in ("server", "client"):
        key = ec.generate_private_key(ec.SECP256R1())
        paths[f"{name}_cert"], paths[f"{name}_key"] = _write(folder, name, _certificate(name, key, (ca.subject, ca_key)),
                                                             key)  # fmt: skip
    return paths


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def server(pki: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    project, port = tmp_path_factory.mktemp("project"), _free_port()
    subprocess.run([VEIL, "init"], cwd=project, check=True, capture_output=True, timeout=120)
    process = subprocess.Popen(
        [VEIL, "serve", "--port", str(port), "--tls-cert", str(pki["server_cert"]), "--tls-key",
         str(pki["server_key"]), "--tls-client-ca", str(pki["ca"])],
        cwd=project, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert process.stderr is not None
        assert f"serving on https://127.0.0.1:{port}" in process.stderr.readline()
        _wait_listening(port)
        yield port
    finally:
        process.terminate()
        process.wait(30)


def _wait_listening(port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise AssertionError("the server never listened")


def _context(pki: dict[str, Path], *, client_cert: bool) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(pki["ca"]))
    if client_cert:
        context.load_cert_chain(str(pki["client_cert"]), str(pki["client_key"]))
    return context


def test_a_client_with_a_certificate_from_the_ca_is_served(server: int, pki: dict[str, Path]) -> None:
    with httpx.Client(verify=_context(pki, client_cert=True)) as client:
        assert client.get(f"https://127.0.0.1:{server}/v1/health").json()["status"] == "ok"


def test_a_client_without_a_certificate_is_refused(server: int, pki: dict[str, Path]) -> None:
    with httpx.Client(verify=_context(pki, client_cert=False)) as client, pytest.raises(httpx.TransportError):
        client.get(f"https://127.0.0.1:{server}/v1/health")


def test_plain_http_to_the_tls_port_gets_no_answer(server: int) -> None:
    with httpx.Client() as client, pytest.raises(httpx.TransportError):
        client.get(f"http://127.0.0.1:{server}/v1/health")


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.7"])  # noqa: S104 - the address being refused
def test_plain_http_off_loopback_needs_to_be_asked_for(host: str, tmp_path: Path) -> None:
    result = subprocess.run([VEIL, "serve", "--host", host], cwd=tmp_path, capture_output=True, text=True,
                            timeout=120, check=False)  # fmt: skip
    assert result.returncode == 2
    assert "--tls-cert" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_certificate_without_its_key_is_a_usage_error(pki: dict[str, Path], tmp_path: Path) -> None:
    result = subprocess.run([VEIL, "serve", "--tls-cert", str(pki["server_cert"])], cwd=tmp_path,
                            capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert result.returncode == 2
    assert "go together" in result.stderr
