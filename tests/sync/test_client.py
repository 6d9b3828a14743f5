"""The node's client facing a server that does not sign: a real HTTP server on loopback
answering as a web server (or a hub older than the node) would."""
from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from sync.client import HubClient
from sync.errors import Code, HubUnavailable, ProtocolError, TransportError
from sync.signing import KeyPair
from tests.processes import free_port


def _server(status: int) -> ThreadingHTTPServer:
    class Unsigned(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(status)
            self.send_header("Content-Length", "9")
            self.end_headers()
            self.wfile.write(b"Not Found")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Unsigned)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def client_for():
    servers, clients = [], []

    def make(status: int) -> HubClient:
        server = _server(status)
        servers.append(server)
        clients.append(HubClient(f"http://127.0.0.1:{server.server_port}", center="210100",
                                 keys=KeyPair.generate(), hub_key=KeyPair.generate().public))
        return clients[-1]
    yield make
    for client in clients:
        client.close()
    for server in servers:
        server.shutdown()
        server.server_close()


def test_an_unsigned_404_says_the_hub_must_be_upgraded_first(client_for):
    with pytest.raises(ProtocolError) as refused:
        client_for(404).call("exchange", {"pull": {"since": 0}})
    assert refused.value.code == Code.REPLY_INVALID
    assert "does not serve /sync/v1/exchange" in refused.value.detail
    assert "upgrade the hub before its nodes" in refused.value.detail


@pytest.mark.parametrize("status", [400, 403])
def test_other_unsigned_refusals_are_not_trusted(client_for, status):
    with pytest.raises(ProtocolError) as refused:
        client_for(status).call("push", {"events": []})
    assert refused.value.code == Code.REPLY_INVALID
    assert refused.value.detail == f"unsigned reply with status {status}"


@pytest.mark.parametrize("url", ["htp://127.0.0.1:1", "http://", "hub.example"])
def test_a_malformed_hub_url_is_a_transport_error_that_names_it(url):
    client = HubClient(url, center="210100", keys=KeyPair.generate(),
                       hub_key=KeyPair.generate().public)
    for _ in range(2):  # the same again: nothing half made is kept
        with pytest.raises(TransportError) as failed:
            client.call("heartbeat", {})
        assert failed.value.detail.startswith(f"request to {url.rstrip('/')} failed")
    client.close()


def test_an_unsigned_503_is_the_hub_unavailable(client_for):
    with pytest.raises(HubUnavailable):
        client_for(503).call("push", {"events": []})


@pytest.fixture
def proxy():
    """A forward proxy on loopback that answers every request itself, and keeps its line."""
    seen = []

    class Proxy(BaseHTTPRequestHandler):
        def do_POST(self):
            seen.append(self.requestline)
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(503)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", seen
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("bypassed", [False, True])
def test_a_node_behind_a_proxy_reaches_its_hub_through_it(proxy, monkeypatch, bypassed):
    """The environment's proxy is read once, as the client starts, and still used (a
    street PC may reach the city's network only through one); NO_PROXY still holds."""
    proxy_url, seen = proxy
    hub_url = f"http://127.0.0.1:{free_port()}"
    for name in ("HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", proxy_url)
    if bypassed:
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    client = HubClient(hub_url, center="210100", keys=KeyPair.generate(),
                       hub_key=KeyPair.generate().public, timeout_s=5)
    try:
        with pytest.raises(HubUnavailable):  # the proxy's 503, or the closed port
            client.call("heartbeat", {})
        monkeypatch.delenv("HTTP_PROXY")  # read once: the next request goes the same way
        with pytest.raises(HubUnavailable):
            client.call("heartbeat", {})
    finally:
        client.close()
    assert seen == ([] if bypassed else [f"POST {hub_url}/sync/v1/heartbeat HTTP/1.1"] * 2)
