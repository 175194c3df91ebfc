"""ID-token verification against a real OpenID issuer on loopback (tests/identity/oidc_issuer.py).

No mocks: the verifier fetches discovery and keys over HTTP from the local issuer, whose request
counters show what was fetched and when.
"""

from __future__ import annotations

import base64
import json
import socket
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from klearkarma.config import Settings
from klearkarma.identity.oidc import (
    FACEBOOK_JWKS_URI,
    OidcError,
    OidcIdentity,
    OidcProvider,
    OidcVerifier,
    providers_from_settings,
)
from tests.identity.oidc_issuer import LocalIssuer, new_rsa_key


@pytest.fixture
async def verifier(oidc_issuer: LocalIssuer) -> AsyncIterator[OidcVerifier]:
    """A fresh verifier (empty key cache) that knows the local issuer as "local"."""
    fresh = OidcVerifier({"local": oidc_issuer.provider(name="local")})
    yield fresh
    await fresh.aclose()


async def refusal(
    verifier: OidcVerifier, token: str, *, nonce: str | None = None, provider: str = "local"
) -> str:
    with pytest.raises(OidcError) as caught:
        await verifier.verify(provider, token, nonce=nonce)
    return caught.value.reason


def fetches(issuer: LocalIssuer) -> tuple[int, int]:
    return issuer.discovery_requests, issuer.jwks_requests


def subject() -> str:
    return uuid.uuid4().hex


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


# -- accepted tokens ---------------------------------------------------------------------------


async def test_a_valid_token_gives_the_identity(
    verifier: OidcVerifier, oidc_issuer: LocalIssuer
) -> None:
    sub = subject()
    token = oidc_issuer.mint(
        sub=sub,
        email="kavya@example.com",
        nonce="n-123",
        given_name="Kavya",
        family_name="Rao",
    )

    identity = await verifier.verify("local", token, nonce="n-123")

    assert identity == OidcIdentity(
        provider="local",
        subject=sub,
        email="kavya@example.com",
        email_verified=True,
        given_name="Kavya",
        family_name="Rao",
    )


@pytest.mark.parametrize(
    ("claim", "expected"),
    [(True, True), ("true", True), (False, False), ("false", False), (None, False), (1, False)],
)
async def test_email_verified_is_true_only_for_true_or_the_string_true(
    verifier: OidcVerifier, oidc_issuer: LocalIssuer, claim: Any, expected: bool
) -> None:
    token = oidc_issuer.mint(sub=subject(), email="a@example.com", extra={"email_verified": claim})

    identity = await verifier.verify("local", token, nonce=None)

    assert identity.email_verified is expected


async def test_a_token_without_email_or_names_gives_none(
    verifier: OidcVerifier, oidc_issuer: LocalIssuer
) -> None:
    identity = await verifier.verify("local", oidc_issuer.mint(sub="s-1"), nonce=None)

    assert (identity.email, identity.email_verified) == (None, False)
    assert (identity.given_name, identity.family_name) == (None, None)


async def test_an_extra_issuer_spelling_is_accepted(oidc_issuer: LocalIssuer) -> None:
    provider = OidcProvider(
        "local", oidc_issuer.issuer, (oidc_issuer.client_id,), extra_issuers=("local-alias",)
    )
    verifier = OidcVerifier({"local": provider})
    try:
        identity = await verifier.verify(
            "local", oidc_issuer.mint(sub="s-2", iss="local-alias"), nonce=None
        )
    finally:
        await verifier.aclose()

    assert identity.subject == "s-2"


async def test_a_nonce_in_the_token_is_ignored_when_none_is_required(
    verifier: OidcVerifier, oidc_issuer: LocalIssuer
) -> None:
    token = oidc_issuer.mint(sub="s-3", nonce="whatever")

    assert (await verifier.verify("local", token, nonce=None)).subject == "s-3"


# -- provider and algorithm --------------------------------------------------------------------


async def test_an_unknown_provider_is_refused(
    verifier: OidcVerifier, oidc_issuer: LocalIssuer
) -> None:
    before = fetches(oidc_issuer)

    reason = await refusal(verifier, oidc_issuer.mint(sub="s"), provider="google")

    assert reason == "unknown_provider"
    assert (verifier.has("local"), verifier.has("google")) == (True, False)
    assert fetches(oidc_issuer) == before


@pytest.mark.parametrize("forge", ["mint_alg_none", "mint_hs256_with_public_key"])
async def test_forged_algorithms_are_refused_before_any_key_lookup(
    verifier: OidcVerifier, oidc_issuer: LocalIssuer, forge: str
) -> None:
    token = getattr(oidc_issuer, forge)(sub="victim", email="victim@example.com")
    before = fetches(oidc_issuer)

    reason = await refusal(verifier, token)

    assert reason == "bad_algorithm"
    assert fetches(oidc_issuer) == before  # the verifier's cache was empty: nothing was looked up


async def test_an_algorithm_the_named_key_cannot_do_is_refused(
    verifier: OidcVerifier, oidc_issuer: LocalIssuer
) -> None:
    # ES256 signed by an EC key of the attacker's, under the kid of the issuer's RSA key.
    token = oidc_issuer.mint(sub="s", alg="ES256", key=ec.generate_private_key(ec.SECP256R1()))

    assert await refusal(verifier, token) == "bad_algorithm"


# -- keys: fetching, caching, rotation ---------------------------------------------------------


async def test_keys_are_fetched_once_and_cached(
    verifier: OidcVerifier, oidc_issuer: LocalIssuer
) -> None:
    discovery, jwks = fetches(oidc_issuer)

    await verifier.verify("local", oidc_issuer.mint(sub="s-1"), nonce=None)
    await verifier.verify("local", oidc_issuer.mint(sub="s-2"), nonce=None)

    assert fetches(oidc_issuer) == (discovery + 1, jwks + 1)


async def test_keys_are_fetched_again_once_the_ttl_has_passed(oidc_issuer: LocalIssuer) -> None:
    verifier = OidcVerifier({"local": oidc_issuer.provider()}, jwks_ttl_seconds=0)
    jwks = oidc_issuer.jwks_requests
    try:
        await verifier.verify("local", oidc_issuer.mint(sub="s-1"), nonce=None)
        await verifier.verify("local", oidc_issuer.mint(sub="s-2"), nonce=None)
    finally:
        await verifier.aclose()

    assert oidc_issuer.jwks_requests == jwks + 2


async def test_a_rotated_key_is_fetched_exactly_once(
    verifier: OidcVerifier, oidc_issuer: LocalIssuer
) -> None:
    old_token = oidc_issuer.mint(sub="before")
    await verifier.verify("local", old_token, nonce=None)
    jwks = oidc_issuer.jwks_requests

    new_kid = oidc_issuer.rotate_key()
    first = await verifier.verify("local", oidc_issuer.mint(sub="after-1"), nonce=None)
    after_rotation = oidc_issuer.jwks_requests
    second = await verifier.verify("local", oidc_issuer.mint(sub="after-2"), nonce=None)
    old_again = await verifier.verify("local", old_token, nonce=None)

    assert oidc_issuer.kid == new_kid
    assert (first.subject, second.subject, old_again.subject) == ("after-1", "after-2", "before")
    assert after_rotation == jwks + 1
    assert oidc_issuer.jwks_requests == jwks + 1


async def test_an_unknown_kid_is_refused_after_one_refetch(
    verifier: OidcVerifier, oidc_issuer: LocalIssuer
) -> None:
    await verifier.verify("local", oidc_issuer.mint(sub="s"), nonce=None)
    jwks = oidc_issuer.jwks_requests

    first = await refusal(verifier, oidc_issuer.mint(sub="s", kid="ghost-1"))
    after_first = oidc_issuer.jwks_requests
    # Made-up kids must not make us hammer the issuer: no second forced refetch within a minute.
    second = await refusal(verifier, oidc_issuer.mint(sub="s", kid="ghost-2"))

    assert (first, second) == ("unknown_key", "unknown_key")
    assert after_first == jwks + 1
    assert oidc_issuer.jwks_requests == jwks + 1


async def test_an_unknown_kid_on_a_cold_cache_is_refused_after_a_single_fetch(
    verifier: OidcVerifier, oidc_issuer: LocalIssuer
) -> None:
    jwks = oidc_issuer.jwks_requests

    reason = await refusal(verifier, oidc_issuer.mint(sub="s", kid="ghost"))

    assert reason == "unknown_key"
    assert oidc_issuer.jwks_requests == jwks + 1  # the keys were fresh: refetching adds nothing


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}/jwks"


@pytest.mark.parametrize("case", ["missing_jwks", "closed_port", "discovery_names_another_issuer"])
async def test_keys_that_cannot_be_fetched_are_jwks_unavailable(
    oidc_issuer: LocalIssuer, case: str
) -> None:
    client_ids = (oidc_issuer.client_id,)
    provider = {
        "missing_jwks": OidcProvider(
            "local", oidc_issuer.issuer, client_ids, f"{oidc_issuer.issuer}/nope"
        ),
        "closed_port": OidcProvider("local", oidc_issuer.issuer, client_ids, closed_port_url()),
        # Discovery is served, but it names http://127.0.0.1:PORT, not http://localhost:PORT.
        "discovery_names_another_issuer": OidcProvider(
            "local", oidc_issuer.issuer.replace("127.0.0.1", "localhost"), client_ids
        ),
    }[case]
    verifier = OidcVerifier({"local": provider})
    try:
        reason = await refusal(verifier, oidc_issuer.mint(sub="s", iss=provider.issuer))
    finally:
        await verifier.aclose()

    assert reason == "jwks_unavailable"


@pytest.mark.parametrize(
    "provider",
    [
        OidcProvider("x", "http://idp.example.com", ("client",)),
        OidcProvider("x", "https://idp.example.com", ("client",), "http://idp.example.com/jwks"),
        OidcProvider("x", "https://idp.example.com", ()),
    ],
)
def test_plain_http_key_urls_and_missing_client_ids_are_refused_at_start(
    provider: OidcProvider,
) -> None:
    with pytest.raises(ValueError, match="needs client ids and an HTTPS key URL"):
        OidcVerifier({"x": provider})


async def test_a_client_passed_in_is_left_open(oidc_issuer: LocalIssuer) -> None:
    async with httpx.AsyncClient() as http:
        verifier = OidcVerifier({"local": oidc_issuer.provider()}, http=http)
        identity = await verifier.verify("local", oidc_issuer.mint(sub="s"), nonce=None)
        await verifier.aclose()

        assert identity.subject == "s"
        assert not http.is_closed


# -- signature ---------------------------------------------------------------------------------


async def test_a_signature_by_another_key_is_refused(
    verifier: OidcVerifier, oidc_issuer: LocalIssuer
) -> None:
    token = oidc_issuer.mint(sub="s", key=new_rsa_key())  # claims the issuer's kid

    assert await refusal(verifier, token) == "bad_signature"


async def test_a_payload_with_a_flipped_character_is_refused(
    verifier: OidcVerifier, oidc_issuer: LocalIssuer
) -> None:
    header, payload, signature = oidc_issuer.mint(sub="s", email="a@example.com").split(".")
    middle = len(payload) // 2
    flipped = "B" if payload[middle] == "A" else "A"
    tampered = f"{header}.{payload[:middle]}{flipped}{payload[middle + 1 :]}.{signature}"

    assert await refusal(verifier, tampered) == "bad_signature"


async def test_a_payload_with_a_changed_subject_is_refused(
    verifier: OidcVerifier, oidc_issuer: LocalIssuer
) -> None:
    header, payload, signature = oidc_issuer.mint(sub="honest").split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "admin"
    tampered = f"{header}.{b64(json.dumps(claims).encode())}.{signature}"

    assert await refusal(verifier, tampered) == "bad_signature"


# -- claims ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "iss", ["https://evil.example", "ISSUER/", "ISSUER/other", "http://localhost"]
)
async def test_a_token_from_another_issuer_is_refused(
    verifier: OidcVerifier, oidc_issuer: LocalIssuer, iss: str
) -> None:
    token = oidc_issuer.mint(sub="s", iss=iss.replace("ISSUER", oidc_issuer.issuer))

    assert await refusal(verifier, token) == "bad_issuer"


async def test_a_token_without_issuer_is_refused(
    verifier: OidcVerifier, oidc_issuer: LocalIssuer
) -> None:
    token = oidc_issuer.mint(sub="s", extra={"iss": None})

    assert await refusal(verifier, token) == "bad_issuer"


@pytest.mark.parametrize(
    ("aud", "azp"),
    [
        ("another-client", None),
        (["another-client"], None),
        (["CLIENT", "another-client"], None),  # several audiences and no azp
        (["CLIENT", "another-client"], "another-client"),
        ([], None),
        (42, None),
    ],
)
async def test_a_token_for_another_audience_is_refused(
    verifier: OidcVerifier, oidc_issuer: LocalIssuer, aud: Any, azp: str | None
) -> None:
    if isinstance(aud, list):
        aud = [oidc_issuer.client_id if a == "CLIENT" else a for a in aud]
    token = oidc_issuer.mint(sub="s", aud=aud, extra={"azp": azp})

    assert await refusal(verifier, token) == "bad_audience"


@pytest.mark.parametrize(
    ("aud", "azp"),
    [(["CLIENT"], None), (["CLIENT", "another-client"], "CLIENT"), ("CLIENT", "android-app")],
)
async def test_audiences_that_include_us_are_accepted(
    verifier: OidcVerifier, oidc_issuer: LocalIssuer, aud: Any, azp: str | None
) -> None:
    def ours(value: str | None) -> str | None:
        return oidc_issuer.client_id if value == "CLIENT" else value

    aud = [ours(a) for a in aud] if isinstance(aud, list) else ours(aud)
    token = oidc_issuer.mint(sub="s", aud=aud, extra={"azp": ours(azp)})

    assert (await verifier.verify("local", token, nonce=None)).subject == "s"


async def test_an_expired_token_is_refused(
    verifier: OidcVerifier, oidc_issuer: LocalIssuer
) -> None:
    assert await refusal(verifier, oidc_issuer.mint(sub="s", exp_in=-120)) == "expired"


async def test_a_token_expired_within_the_leeway_is_accepted(
    verifier: OidcVerifier, oidc_issuer: LocalIssuer
) -> None:
    token = oidc_issuer.mint(sub="s", exp_in=-30)

    assert (await verifier.verify("local", token, nonce=None)).subject == "s"


async def test_a_token_issued_in_the_future_is_refused(
    verifier: OidcVerifier, oidc_issuer: LocalIssuer
) -> None:
    ahead = oidc_issuer.mint(sub="s", iat_offset=600, exp_in=900)
    skewed = oidc_issuer.mint(sub="s", iat_offset=30)

    assert await refusal(verifier, ahead) == "bad_iat"
    assert (await verifier.verify("local", skewed, nonce=None)).subject == "s"


@pytest.mark.parametrize("claimed", ["other-nonce", "n-12", "n-1234", None])
async def test_a_nonce_that_does_not_match_is_refused(
    verifier: OidcVerifier, oidc_issuer: LocalIssuer, claimed: str | None
) -> None:
    token = oidc_issuer.mint(sub="s", nonce=claimed)  # None: the token carries no nonce

    assert await refusal(verifier, token, nonce="n-123") == "bad_nonce"


@pytest.mark.parametrize(
    "extra", [{"sub": None}, {"sub": ""}, {"sub": 42}, {"exp": None}, {"iat": "yesterday"}]
)
async def test_a_token_without_subject_or_dates_is_refused(
    verifier: OidcVerifier, oidc_issuer: LocalIssuer, extra: dict[str, Any]
) -> None:
    assert await refusal(verifier, oidc_issuer.mint(sub="s", extra=extra)) == "bad_token"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "not-a-token",
        "a.b",
        "a.b.c.d.e",  # the shape of an encrypted token (JWE)
        "%%%.e30.c2ln",
        b64(b'["alg"]') + ".e30.c2ln",  # a header that is not an object
        b64(b'{"alg": "RS256"') + ".e30.c2ln",  # a header that is not JSON
        "x" * 20_000,
    ],
)
async def test_malformed_token_text_is_refused(
    verifier: OidcVerifier, oidc_issuer: LocalIssuer, text: str
) -> None:
    before = fetches(oidc_issuer)

    assert await refusal(verifier, text) == "bad_token"
    assert fetches(oidc_issuer) == before


async def test_a_signed_payload_that_is_not_a_json_object_is_refused(
    verifier: OidcVerifier, oidc_issuer: LocalIssuer
) -> None:
    not_json, a_list = oidc_issuer.sign(b"not json"), oidc_issuer.sign(b'["a", "list"]')

    assert await refusal(verifier, not_json) == "bad_token"
    assert await refusal(verifier, a_list) == "bad_token"


# -- configuration -----------------------------------------------------------------------------


def social_settings(**values: str | None) -> Settings:
    fields = {"google_client_id": None, "facebook_app_id": None, "oidc_providers": None}
    return Settings(env="test", **(fields | values))  # type: ignore[arg-type]


def test_google_facebook_and_json_providers_come_from_settings() -> None:
    configured = social_settings(
        google_client_id="g-web.apps.googleusercontent.com",
        facebook_app_id="1234567890",
        oidc_providers=json.dumps(
            {
                "okta": {"issuer": "https://kk.okta.com", "client_id": "okta-client"},
                "apple": {
                    "issuer": "https://appleid.apple.com",
                    "client_ids": ["com.klearkarma.ios", "com.klearkarma.web"],
                    "jwks_uri": "https://appleid.apple.com/auth/keys",
                },
            }
        ),
    )

    providers = providers_from_settings(configured)

    assert providers == {
        "google": OidcProvider(
            "google",
            "https://accounts.google.com",
            ("g-web.apps.googleusercontent.com",),
            extra_issuers=("accounts.google.com",),
        ),
        "facebook": OidcProvider(
            "facebook", "https://www.facebook.com", ("1234567890",), jwks_uri=FACEBOOK_JWKS_URI
        ),
        "okta": OidcProvider("okta", "https://kk.okta.com", ("okta-client",)),
        "apple": OidcProvider(
            "apple",
            "https://appleid.apple.com",
            ("com.klearkarma.ios", "com.klearkarma.web"),
            jwks_uri="https://appleid.apple.com/auth/keys",
        ),
    }
    assert FACEBOOK_JWKS_URI == "https://www.facebook.com/.well-known/oauth/openid/jwks/"
    OidcVerifier(providers)  # every URL is acceptable to the verifier


def test_no_social_settings_means_no_providers() -> None:
    assert providers_from_settings(social_settings()) == {}


def test_a_json_entry_replaces_a_built_in_provider() -> None:
    configured = social_settings(
        google_client_id="web",
        oidc_providers=json.dumps(
            {
                "google": {
                    "issuer": "https://accounts.google.com",
                    "client_ids": ["web", "ios"],
                    "extra_issuers": ["accounts.google.com"],
                }
            }
        ),
    )

    assert providers_from_settings(configured)["google"] == OidcProvider(
        "google", "https://accounts.google.com", ("web", "ios"), None, ("accounts.google.com",)
    )


def test_malformed_provider_json_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="KLEARKARMA_OIDC_PROVIDERS is not valid JSON"):
        providers_from_settings(social_settings(oidc_providers='{"okta": {"issuer": '))


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ('["okta"]', "must be an object"),
        ('{"okta": "https://kk.okta.com"}', 'with an "issuer" URL'),
        ('{"okta": {"client_id": "c"}}', 'with an "issuer" URL'),
        ('{"okta": {"issuer": "https://kk.okta.com"}}', 'needs "client_id"'),
        ('{"okta": {"issuer": "https://kk.okta.com", "client_ids": []}}', 'needs "client_id"'),
        ('{"okta": {"issuer": "https://kk.okta.com", "client_id": 7}}', 'needs "client_id"'),
        ('{"Okta Inc": {"issuer": "https://kk.okta.com", "client_id": "c"}}', "name must match"),
        (
            '{"okta": {"issuer": "https://kk.okta.com", "client_id": "c", "jwks_uri": 1}}',
            '"jwks_uri" a URL',
        ),
    ],
)
def test_invalid_provider_entries_are_clear_errors(config: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        providers_from_settings(social_settings(oidc_providers=config))
