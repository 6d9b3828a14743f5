"""The node's HTTP client for the hub: seals each request, verifies each reply.

``requests`` exceptions are translated at this boundary into our
``TransportError`` family (kept on ``.original``); callers above it catch
only hallsync errors. A reply that is not signed by the pinned hub key, or
that answers another request, is refused (REPLY_INVALID) — unless the hub rotated
its key: then the client follows the endorsed rotations from its pin
(``sync.hub_rotation``) and the caller keeps the new pin (``on_hub_rotation``).
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Callable

import requests

from sync import envelope as env
from sync.errors import (Code, HubBusy, HubUnavailable, ProtocolError, TransportError,
                         error_from_problem)
from sync.hub_rotation import follow
from sync.signing import KeyPair, PublicKey

HUB_ID = "hub"
PREFIX = "/sync/v1/"


@contextmanager
def transport_errors(url: str):
    """Map ``requests`` failures to ``TransportError`` subclasses (the cause stays on
    ``.original``; the message stays short enough for a status page)."""
    try:
        yield
    except requests.Timeout as exc:
        raise HubUnavailable(f"no answer from the hub at {url} in time", original=exc) from exc
    except requests.ConnectionError as exc:
        raise HubUnavailable(f"cannot connect to the hub at {url}", original=exc) from exc
    except requests.RequestException as exc:
        raise TransportError(f"request to {url} failed: {type(exc).__name__}",
                             original=exc) from exc


def _session_for(url: str) -> requests.Session:
    """A session with the environment's proxy and CA bundle for ``url`` read once.

    A street PC behind a proxy still reaches its hub through it (``HTTP_PROXY``,
    ``NO_PROXY``, ``REQUESTS_CA_BUNDLE``), but ``requests`` would read them again on every
    request, about 7 % of a node's CPU in a sync round; they do not change while it runs.
    """
    session = requests.Session()
    settings = session.merge_environment_settings(url, {}, None, None, None)
    session.proxies, session.verify = settings["proxies"], settings["verify"]
    session.trust_env = False
    return session


class HubClient:
    """Talks to one hub as one center, with that center's key."""

    def __init__(self, hub_url: str, *, center: str, keys: KeyPair, hub_key: PublicKey | None,
                 timeout_s: float = 30.0, skew_s: float = 300, max_inflated: int = 64 << 20,
                 on_hub_rotation: Callable[[PublicKey, list[PublicKey]], None] | None = None):
        """``on_hub_rotation(new_key, keys_on_the_way)``: called once the client has followed
        the hub's key rotations, for the caller to keep the new pin."""
        self.hub_url = hub_url.rstrip("/")
        self.center, self.keys, self.hub_key = center, keys, hub_key
        self.timeout_s, self.skew_s, self.max_inflated = timeout_s, skew_s, max_inflated
        self.on_hub_rotation = on_hub_rotation
        self.session = _session_for(self.hub_url)
        self._requests: dict[str, requests.PreparedRequest] = {}  # one made per path

    def close(self) -> None:
        self.session.close()

    def call(self, endpoint: str, body: dict, *, pin: str = "") -> dict:
        """POST a sealed ``body`` to ``/sync/v1/<endpoint>``; return the verified reply body.

        :raises TransportError: network failure, 5xx without a signed problem, or HubBusy.
        :raises ProtocolError: the hub refused (its problem code) or the reply is not authentic.
        """
        path = PREFIX + endpoint
        envelope, response = self._post(path, body)
        return self._open_reply(response, envelope, path, pin)

    def _post(self, path: str, body: dict) -> tuple[env.Envelope, requests.Response]:
        envelope, data = env.seal(body, keys=self.keys, sender=self.center, recipient=HUB_ID,
                                  method="POST", path=path)
        with transport_errors(self.hub_url):  # a malformed hub URL too, found here
            request = self._request_for(path)
            request.headers.update(envelope.headers())
            request.prepare_body(data, None)
            # Straight to the session's adapter: ``Session.request`` merges cookies, hooks
            # and settings into every request (about a sixth of a call's CPU), and a signed
            # request needs none of them, nor a redirect followed.
            response = self.session.get_adapter(request.url).send(
                request, timeout=self.timeout_s, verify=self.session.verify,
                proxies=self.session.proxies)
            response.content  # read in full, so the connection goes back to the pool
        return envelope, response

    def _request_for(self, path: str) -> requests.PreparedRequest:
        """A fresh copy of the request to ``path``, its URL and the session's headers set."""
        request = self._requests.get(path)
        if request is None:
            request = requests.PreparedRequest()
            request.prepare(method="POST", url=self.hub_url + path,
                            headers=self.session.headers)
            self._requests[path] = request  # only once made: a bad URL fails every call alike
        return request.copy()

    def _open_reply(self, response: requests.Response, request: env.Envelope, path: str,
                    pin: str):
        try:
            reply = env.read_headers(response.headers, method="POST", path=path)
        except ProtocolError:
            if response.status_code >= 500 or response.status_code == 429:
                raise HubUnavailable(f"hub answered {response.status_code} without a signature")
            if response.status_code == 404:  # a hub knows every path of its own version
                raise ProtocolError(f"{self.hub_url} does not serve {path}: a hub older than "
                                    "this node, or not a hallsync hub; upgrade the hub "
                                    "before its nodes", code=Code.REPLY_INVALID) from None
            raise ProtocolError(f"unsigned reply with status {response.status_code}",
                                code=Code.REPLY_INVALID) from None
        if self.hub_key is None and pin:
            self.hub_key = self._key_to_pin(response, reply, pin)
        if self.hub_key is None:
            raise ProtocolError("no pinned hub key", code=Code.REPLY_INVALID)
        if reply.key_id != self.hub_key.key_id and self.on_hub_rotation is not None:
            self._follow_rotation(reply.key_id)
        body = self._verified_body(response, reply, request)
        if response.status_code >= 400:
            raise_problem(body, response)
        return body

    def _verified_body(self, response: requests.Response, reply: env.Envelope,
                       request: env.Envelope):
        """The reply's body, once its envelope verified against the pinned hub key."""
        if reply.key_id != self.hub_key.key_id:
            raise ProtocolError(f"reply signed by {reply.key_id}, not the pinned hub key",
                                code=Code.REPLY_INVALID)
        env.verify(reply, response.content, self.hub_key, skew_s=self.skew_s)
        if reply.sender != HUB_ID or reply.reply_to != request.nonce \
                or reply.recipient != self.center:
            raise ProtocolError("reply does not answer this request", code=Code.REPLY_INVALID)
        return env.unpack(response.content, self.max_inflated)

    def _follow_rotation(self, signing_key_id: str) -> None:
        """The hub signs with a key we have not pinned: ask for its rotations since our pin
        and follow them, each endorsed by the key before it (``sync.hub_rotation``)."""
        path = PREFIX + "hub-key"
        request, response = self._post(path, {"since_key_id": self.hub_key.key_id})
        try:
            reply = env.read_headers(response.headers, method="POST", path=path)
        except ProtocolError:
            raise ProtocolError(f"the hub signs with key {signing_key_id}, not the pinned "
                                f"one, and shows no rotation ({response.status_code})",
                                code=Code.REPLY_INVALID) from None
        # Read before it verifies: the rotations are what tell the key it must verify with.
        rotations = env.unpack(response.content, self.max_inflated)
        if response.status_code >= 400 or not isinstance(rotations, dict):
            raise ProtocolError(f"the hub signs with key {signing_key_id}, not the pinned "
                                "one, and shows no rotation from it", code=Code.REPLY_INVALID)
        new_key, passed = follow(self.hub_key, rotations.get("rotations"))
        if new_key.key_id != signing_key_id or reply.key_id != signing_key_id:
            raise ProtocolError(f"the hub's rotations lead to {new_key.key_id}, not to the "
                                f"key {signing_key_id} that signs", code=Code.REPLY_INVALID)
        pinned = self.hub_key
        self.hub_key = new_key
        try:
            self._verified_body(response, reply, request)
        except ProtocolError:
            self.hub_key = pinned
            raise
        self.on_hub_rotation(new_key, passed)

    def _key_to_pin(self, response, reply: env.Envelope, pin: str) -> PublicKey | None:
        """At enrollment: the hub's key from its reply, if it is the key the token names."""
        body = env.unpack(response.content, self.max_inflated)
        if response.status_code >= 400 and reply.key_id != pin:
            # Not signed by the key the token names: an impostor, or a hub that rotated its
            # key since the token was made; either way its refusal cannot be trusted as such.
            refusal = body if isinstance(body, dict) else {}
            raise ProtocolError(f"a hub with key {reply.key_id}, not the one the token names "
                                f"({pin}), refused: {refusal.get('code')}: "
                                f"{refusal.get('detail')}"[:300], code=Code.REPLY_INVALID)
        if response.status_code >= 400:
            raise_problem(body, response)  # nothing to pin; the refusal is the answer
        key = PublicKey.from_b64(body.get("hub_key", ""))
        if key.key_id != pin or reply.key_id != pin:
            raise ProtocolError(f"the hub's key {key.key_id} is not the one the token names "
                                f"({pin})", code=Code.REPLY_INVALID)
        return key


def raise_problem(body: dict, response: requests.Response):
    """Raise the hallsync error a problem reply describes."""
    body = body if isinstance(body, dict) else {}
    error = error_from_problem(body, response.status_code)
    if isinstance(error, HubBusy):
        error.retry_after = float(response.headers.get("Retry-After",
                                                       body.get("retry_after", 30)))
    raise error
