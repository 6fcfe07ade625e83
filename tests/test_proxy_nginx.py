"""deploy/proxy/nginx-corridor.conf as shipped runs under Debian 12's nginx and does what the
deployment guide says: plain HTTP goes to HTTPS, HTTPS reaches Corridor with the client's
address and scheme, and the intake's onion address serves the intake only.

The site file is used as written; only ports, the certificate paths and the upstream address
are replaced, so nginx runs on loopback in a temporary prefix in front of a small stand-in
backend that echoes what it was asked.
"""

from __future__ import annotations

import datetime
import http.client
import http.server
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

SITE = Path(__file__).resolve().parents[1] / "deploy" / "proxy" / "nginx-corridor.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
ONION = "youronionaddressgoeshere.onion"

pytestmark = pytest.mark.xdist_group("proxy")


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Echo(http.server.BaseHTTPRequestHandler):
    def _answer(self) -> None:
        body = (
            f"path={self.path} proto={self.headers.get('X-Forwarded-Proto')} "
            f"xff={self.headers.get('X-Forwarded-For')} host={self.headers.get('Host')}"
        ).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer  # noqa: N815 -- http.server's naming

    def log_message(self, *args: object) -> None:
        pass


def _certificate(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "corridor.example.org")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return cert_path, key_path


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, int]]:
    if not Path(NGINX).exists():
        pytest.fail("nginx is missing: `make test` installs it (scripts/system-deps nginx-light)")
    prefix = tmp_path_factory.mktemp("nginx")
    backend = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    threading.Thread(target=backend.serve_forever, daemon=True).start()
    ports = {"http": _port(), "https": _port(), "onion": _port()}
    cert, key = _certificate(prefix)
    site = SITE.read_text()
    for old, new in {
        "server 127.0.0.1:8000;": f"server 127.0.0.1:{backend.server_address[1]};",
        "listen 80;": f"listen 127.0.0.1:{ports['http']};",
        "listen [::]:80;": "",
        "listen 443 ssl": f"listen 127.0.0.1:{ports['https']} ssl",
        "listen [::]:443 ssl http2;": "",
        "listen 127.0.0.1:8080;": f"listen 127.0.0.1:{ports['onion']};",
        "/etc/letsencrypt/live/corridor.example.org/fullchain.pem": str(cert),
        "/etc/letsencrypt/live/corridor.example.org/privkey.pem": str(key),
    }.items():
        assert old in site, f"the site file no longer has {old!r}: update this test with it"
        site = site.replace(old, new)
    (prefix / "site.conf").write_text(site)
    temp = prefix / "temp"
    temp.mkdir()
    (prefix / "nginx.conf").write_text(
        f"daemon off; pid {prefix}/nginx.pid; error_log {prefix}/error.log; user root root;\n"
        "events {}\n"
        f"http {{ client_body_temp_path {temp}/body; proxy_temp_path {temp}/proxy; "
        f"fastcgi_temp_path {temp}/fcgi; uwsgi_temp_path {temp}/uwsgi; scgi_temp_path {temp}/scgi; "
        f"include {prefix}/site.conf; }}\n"
    )
    check = subprocess.run([NGINX, "-t", "-p", str(prefix), "-c", str(prefix / "nginx.conf")], capture_output=True, text=True, check=False)  # noqa: S603
    assert check.returncode == 0, check.stderr
    server = subprocess.Popen([NGINX, "-p", str(prefix), "-c", str(prefix / "nginx.conf")])  # noqa: S603
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", ports["onion"]), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        yield ports
    finally:
        server.terminate()
        server.wait(timeout=10)
        backend.shutdown()


def _get(port: int, path: str, host: str, tls: bool = False) -> tuple[int, str, str]:
    if tls:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        connection: http.client.HTTPConnection = http.client.HTTPSConnection("127.0.0.1", port, timeout=10, context=context)
    else:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", path, headers={"Host": host})
    response = connection.getresponse()
    body = response.read().decode()
    connection.close()
    return response.status, response.getheader("Location") or "", body


def test_the_onion_address_serves_the_intake_only(proxy: dict[str, int]) -> None:
    for path in ("/help/", "/help/return/", "/help/leave/", "/static/corridor.css"):
        status, _location, body = _get(proxy["onion"], path, ONION)
        assert status == 200 and body.startswith(f"path={path} "), (path, status, body)
        assert "proto=https" in body and "xff=None" in body  # Tor gives no address to pass on
    for path in ("/accounts/login/", "/api/v1/me/", "/cases/", "/audit/", "/unseal-abc/", "/help", "/help/../accounts/login/",
                 "/%68elp/../api/v1/me/", "/admin/"):
        status, _location, body = _get(proxy["onion"], path, ONION)
        assert status == 404 and "path=" not in body, (path, status, body)
    status, location, _body = _get(proxy["onion"], "/", ONION)
    assert status == 302 and location.endswith("/help/")


def test_plain_http_goes_to_https_and_https_reaches_corridor_with_the_client(proxy: dict[str, int]) -> None:
    status, location, _body = _get(proxy["http"], "/cases/", "corridor.example.org")
    assert status == 301 and location == "https://corridor.example.org/cases/"
    status, _location, body = _get(proxy["https"], "/accounts/login/", "corridor.example.org", tls=True)
    assert status == 200 and "path=/accounts/login/ proto=https xff=127.0.0.1 host=corridor.example.org" in body
