"""A real OpenID Connect issuer on loopback, so ID-token tests exercise real HTTP and real keys.

`LocalIssuer` holds RSA signing keys (each with a `kid`), serves its discovery document at
`/.well-known/openid-configuration` and its public keys at `/jwks` from a Starlette app run by
uvicorn in a background thread on 127.0.0.1, and mints ID tokens for tests. It also crafts the
forgeries a verifier must refuse (`alg: none`, HS256 signed with the public key).

Tests get one shared instance through the session-scoped `oidc_issuer` fixture
(tests/identity/conftest.py). It is shared state: `rotate_key()` changes the signing key for every
later test (earlier keys stay published, so earlier tokens keep verifying), and the request
counters only grow, so assert on differences.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import threading
import time
import uuid
import warnings
from typing import Any

import uvicorn
from authlib.deprecate import AuthlibDeprecationWarning
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from klearkarma.identity.oidc import OidcProvider

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", "authlib.jose module", AuthlibDeprecationWarning)
    from authlib.jose import JsonWebKey, JsonWebSignature

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _segment(document: dict[str, Any]) -> str:
    return _b64(json.dumps(document, separators=(",", ":")).encode())


def private_pem(key: PrivateKey) -> bytes:
    """PKCS#8 PEM of a private key, the form authlib imports for signing."""
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def new_rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class LocalIssuer:
    """An OpenID issuer at `issuer` (http://127.0.0.1:PORT) that accepts `client_id` as audience.

    Interface other tests rely on: `issuer`, `client_id`, `provider(name=...)`, `mint(...)`,
    `rotate_key()`, `kid`, `signing_key`, `public_pem`, `claims(...)`, `sign(...)`,
    `mint_alg_none(...)`, `mint_hs256_with_public_key(...)`, and the counters `jwks_requests` /
    `discovery_requests`.
    """

    client_id = "klearkarma-test"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._keys: list[tuple[str, rsa.RSAPrivateKey]] = []
        self._jwks_requests = 0
        self._discovery_requests = 0
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self.issuer = ""
        self.rotate_key()

    # -- serving -------------------------------------------------------------------------------

    def start(self) -> None:
        """Serve on a free loopback port; returns once uvicorn accepts connections."""
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))  # the kernel picks a free port; uvicorn serves this socket
        self._socket = sock
        self.issuer = f"http://127.0.0.1:{sock.getsockname()[1]}"
        config = uvicorn.Config(self._app(), log_level="warning", access_log=False, lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name="oidc-issuer", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the local OpenID issuer did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
        if self._socket is not None:
            self._socket.close()

    def _app(self) -> Starlette:
        async def discovery(request: Request) -> JSONResponse:
            with self._lock:
                self._discovery_requests += 1
            return JSONResponse(
                {
                    "issuer": self.issuer,
                    "jwks_uri": f"{self.issuer}/jwks",
                    "authorization_endpoint": f"{self.issuer}/authorize",
                    "response_types_supported": ["id_token"],
                    "subject_types_supported": ["public"],
                    "id_token_signing_alg_values_supported": ["RS256"],
                }
            )

        async def jwks(request: Request) -> JSONResponse:
            with self._lock:
                self._jwks_requests += 1
            return JSONResponse(self.jwks())

        return Starlette(
            routes=[
                Route("/.well-known/openid-configuration", discovery),
                Route("/jwks", jwks),
            ]
        )

    @property
    def jwks_requests(self) -> int:
        """How many times `/jwks` was served (only grows: compare before and after)."""
        with self._lock:
            return self._jwks_requests

    @property
    def discovery_requests(self) -> int:
        """How many times the discovery document was served (only grows)."""
        with self._lock:
            return self._discovery_requests

    # -- keys ----------------------------------------------------------------------------------

    def jwks(self) -> dict[str, Any]:
        """The public key set, every key ever made (old ones stay, as issuers do after rotating)."""
        with self._lock:
            keys = list(self._keys)
        published = []
        for kid, key in keys:
            jwk = JsonWebKey.import_key(key.public_key(), {"kty": "RSA"}).as_dict()
            published.append({**jwk, "kid": kid, "use": "sig", "alg": "RS256"})
        return {"keys": published}

    def rotate_key(self) -> str:
        """Publish a new RSA key (new kid) and sign with it from now on; returns the kid."""
        kid = f"k-{uuid.uuid4().hex[:12]}"
        key = new_rsa_key()
        with self._lock:
            self._keys.append((kid, key))
        return kid

    @property
    def kid(self) -> str:
        """The kid of the current signing key."""
        with self._lock:
            return self._keys[-1][0]

    @property
    def signing_key(self) -> rsa.RSAPrivateKey:
        with self._lock:
            return self._keys[-1][1]

    @property
    def public_pem(self) -> bytes:
        """The signing key's public half as PEM: what a key-confusion attacker would HMAC with."""
        return self.signing_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def provider(self, name: str = "local") -> OidcProvider:
        """This issuer as a provider; keys are found through its discovery document."""
        return OidcProvider(name=name, issuer=self.issuer, client_ids=(self.client_id,))

    # -- tokens --------------------------------------------------------------------------------

    def claims(
        self,
        *,
        sub: str,
        email: str | None = None,
        email_verified: bool = True,
        nonce: str | None = None,
        aud: str | list[str] | None = None,
        iss: str | None = None,
        exp_in: int = 300,
        iat_offset: int = 0,
        given_name: str | None = None,
        family_name: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """An ID token payload; `extra` entries override, and an `extra` value of None drops one."""
        now = int(time.time())
        payload: dict[str, Any] = {
            "iss": iss if iss is not None else self.issuer,
            "aud": aud if aud is not None else self.client_id,
            "sub": sub,
            "iat": now + iat_offset,
            "exp": now + exp_in,
        }
        optional = {
            "email": email,
            "nonce": nonce,
            "given_name": given_name,
            "family_name": family_name,
        }
        payload.update({name: value for name, value in optional.items() if value is not None})
        if email is not None:
            payload["email_verified"] = email_verified
        for name, value in (extra or {}).items():
            if value is None:
                payload.pop(name, None)
            else:
                payload[name] = value
        return payload

    def mint(
        self,
        *,
        sub: str,
        email: str | None = None,
        email_verified: bool = True,
        nonce: str | None = None,
        aud: str | list[str] | None = None,
        iss: str | None = None,
        exp_in: int = 300,
        iat_offset: int = 0,
        given_name: str | None = None,
        family_name: str | None = None,
        kid: str | None = None,
        alg: str = "RS256",
        key: PrivateKey | None = None,
        extra: dict[str, Any] | None = None,
    ) -> str:
        """A signed ID token for `client_id` from this issuer, valid for `exp_in` seconds.

        Signed with the current key (header kid = `kid` or the current kid) unless `key` (an RSA or
        EC private key from cryptography) is given; `alg` must suit the key. `email_verified` is
        only included when `email` is. See `claims` for `extra`.
        """
        payload = self.claims(
            sub=sub,
            email=email,
            email_verified=email_verified,
            nonce=nonce,
            aud=aud,
            iss=iss,
            exp_in=exp_in,
            iat_offset=iat_offset,
            given_name=given_name,
            family_name=family_name,
            extra=extra,
        )
        body = json.dumps(payload, separators=(",", ":")).encode()
        return self.sign(body, kid=kid, alg=alg, key=key)

    def sign(
        self,
        payload: bytes,
        *,
        kid: str | None = None,
        alg: str = "RS256",
        key: PrivateKey | None = None,
    ) -> str:
        """Any bytes as a compact JWS, signed like `mint` (for payloads that are not claims)."""
        header = {"alg": alg, "typ": "JWT", "kid": kid or self.kid}
        signer = JsonWebKey.import_key(private_pem(key or self.signing_key))
        token = JsonWebSignature([alg]).serialize_compact(header, payload, signer)
        return str(token.decode())

    def mint_alg_none(self, *, sub: str, **claims: Any) -> str:
        """An unsigned token (`alg: none`, empty signature) with otherwise valid claims."""
        header = {"alg": "none", "typ": "JWT", "kid": self.kid}
        return f"{_segment(header)}.{_segment(self.claims(sub=sub, **claims))}."

    def mint_hs256_with_public_key(self, *, sub: str, **claims: Any) -> str:
        """The key-confusion forgery: HS256 with the issuer's public PEM as the HMAC secret.

        A verifier that lets the token pick the algorithm and hands it the issuer's "key" would
        accept this, and the public key is public.
        """
        header = {"alg": "HS256", "typ": "JWT", "kid": self.kid}
        signing_input = f"{_segment(header)}.{_segment(self.claims(sub=sub, **claims))}"
        mac = hmac.new(self.public_pem, signing_input.encode(), hashlib.sha256).digest()
        return f"{signing_input}.{_b64(mac)}"
