"""Verify OpenID Connect ID tokens from Google, Facebook or any configured issuer.

The client signs in with the provider and hands us the ID token; everything we then believe about
the person (who they are, which email they proved) rests on these checks, so they follow OpenID
Connect Core §3.1.3.7 strictly: signature against the issuer's published keys first, then issuer,
audience, lifetime and nonce. Anything ambiguous is refused with a machine-readable reason.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hmac
import ipaddress
import json
import math
import re
import time
import warnings
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
from authlib.deprecate import AuthlibDeprecationWarning  # first: its "always" filter beats ours

from klearkarma.config import Settings

with warnings.catch_warnings():
    # authlib 1.6 marks authlib.jose deprecated in favour of joserfc (same API until authlib 2.0).
    warnings.filterwarnings("ignore", "authlib.jose module", AuthlibDeprecationWarning)
    from authlib.jose import JsonWebKey, JsonWebSignature
    from authlib.jose.errors import BadSignatureError, JoseError

GOOGLE_ISSUER = "https://accounts.google.com"
FACEBOOK_ISSUER = "https://www.facebook.com"
FACEBOOK_JWKS_URI = "https://www.facebook.com/.well-known/oauth/openid/jwks/"
# Asymmetric algorithms only, with the key type (and curve) each needs. An HS* token would be
# "signed" with the issuer's public key, which anyone can download: the classic forgery.
ALGORITHMS: dict[str, tuple[str, str | None]] = {
    **dict.fromkeys(("RS256", "RS384", "RS512", "PS256"), ("RSA", None)),
    **{"ES256": ("EC", "P-256"), "ES384": ("EC", "P-384")},
}
# A flood of tokens with made-up kids must not turn into a flood of requests to the issuer.
FORCED_REFETCH_INTERVAL_SECONDS = 60.0
MAX_TOKEN_CHARS = 16_384
_NAME = re.compile(r"^[a-z0-9_-]{1,32}$")  # the `{provider}` path segment of the login route
_Key = tuple[dict[str, Any], Any]  # a JWK as published, and authlib's key built from it


@dataclass(frozen=True, slots=True)
class OidcProvider:
    name: str
    issuer: str  # exact `iss` expected
    client_ids: tuple[str, ...]  # accepted `aud` values
    jwks_uri: str | None = None  # when None, read from {issuer}/.well-known/openid-configuration
    extra_issuers: tuple[str, ...] = ()  # e.g. Google also issues "accounts.google.com"


@dataclass(frozen=True, slots=True)
class OidcIdentity:
    provider: str
    subject: str
    email: str | None
    email_verified: bool
    given_name: str | None
    family_name: str | None


class OidcError(Exception):
    """The token cannot be trusted; `reason` is a short machine-readable string."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def providers_from_settings(settings: Settings) -> dict[str, OidcProvider]:
    """Google and Facebook from their client ids, plus each KLEARKARMA_OIDC_PROVIDERS entry.

    A JSON entry named "google" or "facebook" replaces the built-in one: that is how several client
    ids (web, iOS, Android) are accepted for the same provider.
    """
    providers: dict[str, OidcProvider] = {}
    if settings.google_client_id:
        providers["google"] = OidcProvider(
            "google",
            GOOGLE_ISSUER,
            (settings.google_client_id,),
            extra_issuers=("accounts.google.com",),
        )
    if settings.facebook_app_id:
        providers["facebook"] = OidcProvider(
            "facebook", FACEBOOK_ISSUER, (settings.facebook_app_id,), jwks_uri=FACEBOOK_JWKS_URI
        )
    if settings.oidc_providers:
        try:
            raw = json.loads(settings.oidc_providers)
        except json.JSONDecodeError as exc:
            raise ValueError(f"KLEARKARMA_OIDC_PROVIDERS is not valid JSON: {exc}") from exc
        if not isinstance(raw, dict):
            raise ValueError('KLEARKARMA_OIDC_PROVIDERS must be an object: {"name": {...}}')
        for name, entry in raw.items():
            providers[name] = _provider_from_json(name, entry)
    return providers


def _provider_from_json(name: str, entry: object) -> OidcProvider:
    where = f"KLEARKARMA_OIDC_PROVIDERS[{name!r}]"
    if not _NAME.match(name):
        raise ValueError(f"{where}: the name must match {_NAME.pattern} (it is part of the URL)")
    if not isinstance(entry, dict) or not isinstance(entry.get("issuer"), str):
        raise ValueError(f'{where} must be an object with an "issuer" URL')
    ids = entry.get("client_ids", [entry["client_id"]] if "client_id" in entry else [])
    extra = entry.get("extra_issuers", [])
    jwks_uri = entry.get("jwks_uri")
    if not _strings(ids) or not ids:
        raise ValueError(f'{where} needs "client_id" (a string) or "client_ids" (strings)')
    if not _strings(extra) or not (jwks_uri is None or isinstance(jwks_uri, str)):
        raise ValueError(f'{where}: "extra_issuers" must be strings and "jwks_uri" a URL')
    return OidcProvider(name, entry["issuer"], tuple(ids), jwks_uri, tuple(extra))


class OidcVerifier:
    """Checks ID tokens against each provider's keys, fetched over HTTPS and cached."""

    def __init__(
        self,
        providers: dict[str, OidcProvider],
        *,
        http: httpx.AsyncClient | None = None,
        jwks_ttl_seconds: float = 3600,
        leeway_seconds: int = 60,
    ) -> None:
        for key, provider in providers.items():  # a bad URL is a deployment error: fail at start
            if not provider.client_ids or not _fetchable(_keys_url(provider)):
                raise ValueError(f"OIDC provider {key!r} needs client ids and an HTTPS key URL")
        self._providers = dict(providers)
        self._http = http or httpx.AsyncClient(timeout=5.0)
        self._owns_http = http is None
        self._ttl = jwks_ttl_seconds
        self._leeway = leeway_seconds
        self._keys: dict[str, tuple[dict[str, _Key], float]] = {}
        self._forced_at: dict[str, float] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    def has(self, provider: str) -> bool:
        """Whether `provider` is configured: an unknown one is a 404, not a failed sign-in."""
        return provider in self._providers

    async def verify(self, provider: str, id_token: str, *, nonce: str | None) -> OidcIdentity:
        """The identity in `id_token`, or OidcError saying why it cannot be trusted."""
        config = self._providers.get(provider)
        if config is None:
            raise OidcError("unknown_provider", f"No OpenID provider named {provider!r}.")
        header = _header(id_token)
        alg = header.get("alg")
        if not isinstance(alg, str) or alg not in ALGORITHMS:  # before any network or key work
            raise OidcError("bad_algorithm", f"Algorithm {alg!r} is not accepted.")
        kid = header.get("kid")
        jwk, key = await self._key(provider, config, kid if isinstance(kid, str) else None)
        kty, crv = ALGORITHMS[alg]
        if jwk.get("kty") != kty or jwk.get("crv") != crv or jwk.get("alg", alg) != alg:
            raise OidcError("bad_algorithm", f"Key {kid!r} cannot verify {alg}.")
        try:  # signature first: the payload is not even parsed until the issuer vouches for it
            payload = JsonWebSignature([alg]).deserialize_compact(id_token, key)["payload"]
            claims = json.loads(payload)
        except BadSignatureError as exc:
            raise OidcError("bad_signature", "The signature does not match.") from exc
        except (JoseError, ValueError, TypeError) as exc:
            raise OidcError("bad_token", "The token cannot be read.") from exc
        if not isinstance(claims, dict):
            raise OidcError("bad_token", "The token's payload is not an object.")
        return self._identity(provider, config, claims, nonce)

    async def aclose(self) -> None:
        """Close the HTTP client, unless it was passed in (then its owner closes it)."""
        if self._owns_http:
            await self._http.aclose()

    def _identity(
        self, provider: str, config: OidcProvider, claims: dict[str, Any], nonce: str | None
    ) -> OidcIdentity:
        iss, aud = claims.get("iss"), claims.get("aud")
        if iss != config.issuer and iss not in config.extra_issuers:
            raise OidcError("bad_issuer", f"Issuer {iss!r} is not {config.issuer!r}.")
        audiences = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
        if not any(isinstance(a, str) and a in config.client_ids for a in audiences):
            raise OidcError("bad_audience", "The token was issued to another client.")
        # Several audiences: `azp` names the party the token was really issued to (Core §2).
        if len(audiences) > 1 and claims.get("azp") not in config.client_ids:
            raise OidcError("bad_audience", "The token's authorized party is another client.")
        exp, iat, sub = _number(claims.get("exp")), _number(claims.get("iat")), claims.get("sub")
        if exp is None or iat is None or not isinstance(sub, str) or not sub:
            raise OidcError("bad_token", "The token lacks sub, exp or iat.")
        now = time.time()
        if exp + self._leeway <= now:
            raise OidcError("expired", "The token has expired.")
        if iat > now + self._leeway:
            raise OidcError("bad_iat", "The token claims to be issued in the future.")
        if nonce is not None and not _same(claims.get("nonce"), nonce):
            raise OidcError("bad_nonce", "The token's nonce does not match.")
        verified = claims.get("email_verified")
        return OidcIdentity(
            provider=provider,
            subject=sub,
            email=_text(claims.get("email")),
            email_verified=verified is True or verified == "true",
            given_name=_text(claims.get("given_name")),
            family_name=_text(claims.get("family_name")),
        )

    async def _key(self, provider: str, config: OidcProvider, kid: str | None) -> _Key:
        """The issuer's key `kid`: cached; refetched once when unknown, since keys rotate."""
        async with self._locks.setdefault(provider, asyncio.Lock()):  # one fetch, many waiters
            now = time.monotonic()
            keys, fetched_at = self._keys.get(provider, ({}, -math.inf))
            stale = now - fetched_at >= self._ttl
            forced_at = self._forced_at.get(provider, -math.inf)
            rotated = (
                _pick(keys, kid) is None and now - forced_at >= FORCED_REFETCH_INTERVAL_SECONDS
            )
            if stale or rotated:
                self._forced_at[provider] = forced_at if stale else now
                keys = await self._download(config)
                self._keys[provider] = (keys, now)
            found = _pick(keys, kid)
        if found is None:
            raise OidcError("unknown_key", f"The issuer publishes no key {kid!r}.")
        return found

    async def _download(self, config: OidcProvider) -> dict[str, _Key]:
        jwks_uri = config.jwks_uri
        if jwks_uri is None:
            discovery = await self._get_json(_keys_url(config))
            jwks_uri = discovery.get("jwks_uri")
            if discovery.get("issuer") != config.issuer or not isinstance(jwks_uri, str):
                raise OidcError("jwks_unavailable", "The discovery document does not match.")
        entries = (await self._get_json(jwks_uri)).get("keys")
        if not isinstance(entries, list):
            raise OidcError("jwks_unavailable", "The key set has no keys.")
        keys: dict[str, _Key] = {}
        for jwk in entries:
            if not isinstance(jwk, dict) or jwk.get("use", "sig") != "sig":
                continue
            try:
                keys[str(jwk.get("kid", ""))] = (jwk, JsonWebKey.import_key(jwk))
            except (JoseError, ValueError, TypeError, KeyError):
                continue  # one key we cannot use must not hide the others
        return keys

    async def _get_json(self, url: str) -> dict[str, Any]:
        if not _fetchable(url):
            raise OidcError("jwks_unavailable", f"Refusing to fetch keys from {url!r}.")
        try:
            response = await self._http.get(url, headers={"Accept": "application/json"})
            response.raise_for_status()
            document = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise OidcError("jwks_unavailable", f"Could not fetch {url}: {exc}") from exc
        if not isinstance(document, dict):
            raise OidcError("jwks_unavailable", f"{url} did not return a JSON object.")
        return document


def _header(id_token: str) -> dict[str, Any]:
    """The JOSE header, read only to choose the algorithm and key; nothing in it is trusted."""
    segments = id_token.split(".") if len(id_token) <= MAX_TOKEN_CHARS else []
    try:
        if len(segments) != 3:  # five segments would be an encrypted token (JWE): not ours
            raise ValueError("not a signed JWT")
        header = json.loads(base64.urlsafe_b64decode(segments[0] + "=" * (-len(segments[0]) % 4)))
    except (ValueError, binascii.Error) as exc:
        raise OidcError("bad_token", "The token is not a signed JWT.") from exc
    if not isinstance(header, dict):
        raise OidcError("bad_token", "The token's header is not an object.")
    return header


def _pick(keys: dict[str, _Key], kid: str | None) -> _Key | None:
    if kid is None:  # without a kid, only an unambiguous single key will do
        return next(iter(keys.values())) if len(keys) == 1 else None
    return keys.get(kid)


def _keys_url(provider: OidcProvider) -> str:
    return provider.jwks_uri or provider.issuer.rstrip("/") + "/.well-known/openid-configuration"


def _fetchable(url: str) -> bool:
    """HTTPS, or plain HTTP to this machine (the tests' local issuer): keys must not be spoofed."""
    parts = urlsplit(url)
    if not parts.hostname or parts.scheme not in ("https", "http"):
        return False
    if parts.scheme == "https" or parts.hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(parts.hostname).is_loopback
    except ValueError:
        return False


def _number(value: object) -> float | None:
    """A NumericDate; JSON allows integers too big for a float (and nan, inf), so bound it."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if abs(value) < 1e15 else None


def _same(claimed: object, expected: str) -> bool:
    """Constant-time, so response timing does not reveal how much of a nonce was right."""
    return isinstance(claimed, str) and hmac.compare_digest(claimed.encode(), expected.encode())


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _strings(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) and item for item in value)
