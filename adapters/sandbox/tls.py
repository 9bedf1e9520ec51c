"""A private certificate authority and a loopback server certificate for the fake Salesforce.

simple-salesforce always speaks https, so the fake Salesforce needs a certificate its
client trusts. The sandbox makes its own CA (kept in the state directory and reused on
the next start, so a configured client keeps working) and signs a short-lived server
certificate for ``127.0.0.1``, ``::1`` and ``localhost``. Clients trust it with
``requests.Session().verify = <ca bundle path>``; nothing is added to the system trust.
"""

from __future__ import annotations

import ipaddress
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import certifi
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = ["TlsFiles", "ensure_tls"]

_CA_CERT = "sandbox-ca.pem"
_CA_KEY = "sandbox-ca.key"
_SERVER_CERT = "sandbox-server.pem"
_SERVER_KEY = "sandbox-server.key"
_COMBINED = "sandbox-ca-with-public-roots.pem"


@dataclass(frozen=True)
class TlsFiles:
    ca_bundle: Path
    server_cert: Path
    server_key: Path
    combined_bundle: Path  # the public CAs (certifi) plus the sandbox CA

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(self.server_cert, self.server_key)
        return context


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "refnet sandbox"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    path.chmod(0o600)


def _new_ca(directory: Path) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    name = _name("refnet sandbox local CA")
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    (directory / _CA_CERT).write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    _write_key(directory / _CA_KEY, key)
    return cert, key


def _load_ca(directory: Path) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None:
    cert_path, key_path = directory / _CA_CERT, directory / _CA_KEY
    if not (cert_path.exists() and key_path.exists()):
        return None
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        return None
    if cert.not_valid_after_utc < datetime.now(UTC) + timedelta(days=1):
        return None
    return cert, key


def ensure_tls(directory: Path) -> TlsFiles:
    """Reuse (or create) the CA in ``directory`` and issue a fresh loopback server certificate."""
    directory.mkdir(parents=True, exist_ok=True)
    ca_cert, ca_key = _load_ca(directory) or _new_ca(directory)
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("127.0.0.1"))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName("localhost"),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                    x509.IPAddress(ipaddress.ip_address("::1")),
                ]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    server_cert, server_key = directory / _SERVER_CERT, directory / _SERVER_KEY
    server_cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    _write_key(server_key, key)
    # zeep (simple-salesforce's Metadata API client) makes its own requests session, which
    # only honours REQUESTS_CA_BUNDLE; this bundle can be exported there without breaking
    # https to the real internet in the same process.
    combined = directory / _COMBINED
    combined.write_bytes(
        Path(certifi.where()).read_bytes() + b"\n" + (directory / _CA_CERT).read_bytes()
    )
    return TlsFiles(directory / _CA_CERT, server_cert, server_key, combined)
