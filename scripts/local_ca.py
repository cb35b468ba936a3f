"""A local certificate authority and a `localhost` certificate for the HTTPS gateway.

Development and tests only: production certificates come from Let's Encrypt or the load
balancer (docs/deploy.md). Writes, into a git-ignored directory (default var/tls):

    ca.pem          the local CA's certificate: trust it in a browser or pass it to a client
    ca-key.pem      its private key (kept to issue the next server certificate)
    fullchain.pem   the server certificate for localhost, 127.0.0.1 and ::1, then the CA
    privkey.pem     the server certificate's private key

nginx in the gateway image runs as an unprivileged user that does not own these files, so
privkey.pem is made world-readable: acceptable for a throw-away local key, never for a real one.
An existing CA is reused (a browser that trusts it keeps trusting), and the server
certificate is reissued when it is missing, expires within 30 days, or lacks a name.

    python scripts/local_ca.py [DIR] [--name EXTRA_DNS_NAME ...]
"""

from __future__ import annotations

import argparse
import datetime as dt
import ipaddress
from collections.abc import Sequence
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

DEFAULT_DIR = Path("var/tls")
DEFAULT_NAMES = ("localhost",)
ADDRESSES = ("127.0.0.1", "::1")
CA_DAYS = 3650
SERVER_DAYS = 397  # the longest validity browsers accept for a server certificate
RENEW_BEFORE = dt.timedelta(days=30)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey, mode: int) -> None:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    path.chmod(mode)


def _load_ca(directory: Path) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None:
    cert_path, key_path = directory / "ca.pem", directory / "ca-key.pem"
    if not (cert_path.exists() and key_path.exists()):
        return None
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or cert.not_valid_after_utc < _now():
        return None
    return cert, key


def _new_ca(directory: Path) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Order platform (development)"),
            x509.NameAttribute(NameOID.COMMON_NAME, "Order platform local CA"),
        ]
    )
    now = _now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    (directory / "ca.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    _write_key(directory / "ca-key.pem", key, 0o600)
    return cert, key


def _server_names(names: Sequence[str]) -> list[x509.GeneralName]:
    dns: list[x509.GeneralName] = [x509.DNSName(name) for name in dict.fromkeys(names)]
    ips: list[x509.GeneralName] = [x509.IPAddress(ipaddress.ip_address(a)) for a in ADDRESSES]
    return dns + ips


def _server_is_current(
    directory: Path, ca: x509.Certificate, wanted: list[x509.GeneralName]
) -> bool:
    chain, key = directory / "fullchain.pem", directory / "privkey.pem"
    if not (chain.exists() and key.exists()):
        return False
    certs = x509.load_pem_x509_certificates(chain.read_bytes())
    if len(certs) < 2 or certs[1] != ca or certs[0].issuer != ca.subject:
        return False
    if certs[0].not_valid_after_utc - RENEW_BEFORE < _now():
        return False
    present = certs[0].extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return all(name in present for name in wanted)


def _new_server(
    directory: Path,
    ca: x509.Certificate,
    ca_key: ec.EllipticCurvePrivateKey,
    names: list[x509.GeneralName],
) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    now = _now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=SERVER_DAYS))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    (directory / "fullchain.pem").write_bytes(cert.public_bytes(pem) + ca.public_bytes(pem))
    (directory / "fullchain.pem").chmod(0o644)
    _write_key(directory / "privkey.pem", key, 0o644)  # read by nginx's unprivileged user


def ensure_local_tls(directory: Path = DEFAULT_DIR, names: Sequence[str] = ()) -> Path:
    """Create (or keep) the local CA and a current server certificate; returns ca.pem's path."""
    directory.mkdir(parents=True, exist_ok=True)
    ca, ca_key = _load_ca(directory) or _new_ca(directory)
    wanted = _server_names([*DEFAULT_NAMES, *names])
    if not _server_is_current(directory, ca, wanted):
        _new_server(directory, ca, ca_key, wanted)
    return directory / "ca.pem"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", nargs="?", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--name", action="append", default=[], help="another DNS name")
    args = parser.parse_args(argv)
    ca = ensure_local_tls(args.directory, args.name)
    print(f"local CA: {ca}  (server certificate: {args.directory / 'fullchain.pem'})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
