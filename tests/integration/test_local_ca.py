"""scripts/local_ca.py: the development CA and localhost certificate of the HTTPS gateway,
checked by a real TLS handshake (a Python TLS server with the issued pair, httpx as client)."""

from __future__ import annotations

import http.server
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from cryptography import x509

from scripts.local_ca import ensure_local_tls


class _Hello(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "5")
        self.end_headers()
        self.wfile.write(b"hello")

    def log_message(self, *_: object) -> None:
        pass


@contextmanager
def tls_server(directory: Path) -> Iterator[int]:
    """An HTTPS server on a free loopback port, presenting fullchain.pem/privkey.pem."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(directory / "fullchain.pem", directory / "privkey.pem")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hello)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_clients_trusting_the_local_ca_reach_localhost_and_127_0_0_1(tmp_path: Path) -> None:
    ca = ensure_local_tls(tmp_path)
    with tls_server(tmp_path) as port:
        trusting = ssl.create_default_context(cafile=str(ca))
        for host in ("localhost", "127.0.0.1"):
            answer = httpx.get(f"https://{host}:{port}/", verify=trusting, timeout=10)
            assert answer.text == "hello", host
        # Without the CA the same certificate is rejected: the trust comes from ca.pem.
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            httpx.get(f"https://localhost:{port}/", verify=ssl.create_default_context())


def test_the_ca_is_kept_and_the_certificate_reissued_only_when_needed(tmp_path: Path) -> None:
    ensure_local_tls(tmp_path)
    ca_before = (tmp_path / "ca.pem").read_bytes()
    chain_before = (tmp_path / "fullchain.pem").read_bytes()

    ensure_local_tls(tmp_path)
    assert (tmp_path / "ca.pem").read_bytes() == ca_before
    assert (tmp_path / "fullchain.pem").read_bytes() == chain_before

    ensure_local_tls(tmp_path, ["shop.test"])
    assert (tmp_path / "ca.pem").read_bytes() == ca_before, "a browser trusting it keeps trusting"
    leaf = x509.load_pem_x509_certificates((tmp_path / "fullchain.pem").read_bytes())[0]
    names = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert {"localhost", "shop.test"} <= set(names.get_values_for_type(x509.DNSName))
    assert (tmp_path / "ca-key.pem").stat().st_mode & 0o077 == 0, "the CA key stays private"
