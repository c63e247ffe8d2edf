"""``readiness attest`` and ``readiness verify-verdict``: sign a verdict, check it before deploy."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from readiness.profile.supply_chain import SignerIdentity
from readiness.verdict.attest import (
    attest_report,
    decide,
    key_verifier,
    load_report,
    report_candidates,
)
from readiness.verdict.envelope import sign_keyless
from readiness.verdict.keys import load_public_key, load_signing_key
from readiness.verdict.statement import Requirements, VerdictError, parse_age

PASSWORD_VARS = ("READINESS_ATTEST_KEY_PASSWORD", "COSIGN_PASSWORD")
DEFAULT_REPORT = Path("reports/readiness-report.json")


def key_password(env: Mapping[str, str]) -> str | None:
    return next((env[v] for v in PASSWORD_VARS if v in env), None)


def keyless_signer(trust_config: str | None, token: str | None) -> Any:
    """A function signing a statement keylessly with the ``sigstore`` library."""
    from sigstore.models import ClientTrustConfig
    from sigstore.oidc import IdentityToken, detect_credential
    from sigstore.sign import SigningContext

    raw = token or detect_credential()
    if not raw:
        raise VerdictError(
            "keyless signing needs an OIDC identity token: run in CI with an ambient identity "
            "(e.g. GitHub Actions `id-token: write`), or set SIGSTORE_ID_TOKEN"
        )
    if trust_config:
        config = ClientTrustConfig.from_json(Path(trust_config).read_text())
    else:
        config = ClientTrustConfig.production()
    context = SigningContext.from_trust_config(config)
    try:
        identity = IdentityToken(raw)
    except Exception as exc:  # sigstore.oidc.IdentityError and JWT decoding errors
        raise VerdictError(f"the identity token is not usable: {exc}") from None

    def sign(statement: Mapping[str, Any]) -> bytes:
        try:
            return sign_keyless(statement, context, identity)
        except Exception as exc:  # sigstore raises its own and requests' errors here
            reason = str(exc) or type(exc).__name__
            raise VerdictError(f"keyless signing failed: {reason}") from None

    return sign


def attest(
    report: Path,
    key_path: str | None,
    trust_config: str | None,
    token: str | None,
    env: Mapping[str, str],
) -> Path:
    if key_path:
        signed = attest_report(report, key=load_signing_key(Path(key_path), key_password(env)))
    else:
        signer = keyless_signer(trust_config, token or env.get("SIGSTORE_ID_TOKEN"))
        signed = attest_report(report, keyless=signer)
    return signed.envelope


def cmd_attest(args: argparse.Namespace) -> int:
    try:
        path = attest(
            Path(args.report), args.key, args.trust_config, args.identity_token, os.environ
        )
        print(f"verdict attestation: {path}")
        if args.push:
            from readiness.verdict.oci import push_verdict

            for image in args.push:
                digest = push_verdict(image, path, args.ca_file, args.plain_http)
                print(f"pushed to {image}: {digest}")
    except VerdictError as exc:
        print(f"readiness attest: {exc}", file=sys.stderr)
        return 1
    return 0


def _verifier(trusted_root: str) -> Any:
    from sigstore.models import ClientTrustConfig, TrustedRoot
    from sigstore.verify import Verifier

    if trusted_root in ("production", "staging"):
        config = getattr(ClientTrustConfig, trusted_root)(offline=True)
        return Verifier(trusted_root=config.trusted_root)
    return Verifier(trusted_root=TrustedRoot.from_file(trusted_root))


def cmd_verify(args: argparse.Namespace) -> int:
    try:
        wanted_age = parse_age(args.max_age) if args.max_age else None
        keys = {Path(args.key).name: load_public_key(Path(args.key))} if args.key else {}
        identities: list[SignerIdentity] = []
        verifier = None
        if args.identity or args.identity_regex:
            if not args.issuer:
                raise VerdictError("--identity needs --issuer (the OIDC issuer of the signer)")
            identities.append(
                SignerIdentity(
                    identity=args.identity, identity_regex=args.identity_regex, issuer=args.issuer
                )
            )
            verifier = _verifier(args.trusted_root)
        if not keys and not identities:
            raise VerdictError("give --key PUBLIC_KEY, or --identity and --issuer")
        target = Path(args.target)
        if target.is_file():
            _, sha = load_report(target)
            digest = f"sha256:{sha}"
            attestation = Path(args.attestation) if args.attestation else None
            candidates = report_candidates(target, attestation)
        else:
            from readiness.verdict.oci import image_candidates

            digest, candidates = image_candidates(args.target, args.ca_file, args.plain_http)
        wanted = Requirements(digest, args.environment, wanted_age)
        decision = decide(
            candidates, wanted, dt.datetime.now(dt.UTC), key_verifier(keys, verifier, identities)
        )
    except (VerdictError, ValueError) as exc:
        print(f"readiness verify-verdict: {exc}", file=sys.stderr)
        return 1
    if decision.accepted is None:
        print(f"REFUSED: no valid passing verdict for {args.target} ({digest})")
        for reason in decision.refusals:
            print(f"  - {reason}")
        return 1
    predicate = decision.accepted.statement.get("predicate", {})
    print(
        f"ACCEPTED: {args.target} ({digest}) passed the {predicate.get('environment')!r} gate "
        f"at {predicate.get('finished_at')}, signed by {decision.accepted.signer}"
    )
    return 0


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "attest",
        help="sign the verdict of a full run as an in-toto statement (DSSE or Sigstore bundle)",
    )
    p.add_argument("report", nargs="?", default=str(DEFAULT_REPORT), help="the JSON report")
    p.add_argument(
        "--key",
        help="ECDSA P-256 key (cosign.key or PEM); password in "
        "READINESS_ATTEST_KEY_PASSWORD or COSIGN_PASSWORD. Without it: keyless",
    )
    p.add_argument("--identity-token", help="OIDC token for keyless signing (else ambient CI)")
    p.add_argument("--trust-config", help="Sigstore client trust config JSON (private instance)")
    p.add_argument("--push", action="append", metavar="IMAGE", help="attach to this image")
    p.add_argument("--ca-file", help="CA bundle for the registry")
    p.add_argument("--plain-http", action="store_true", help="registry speaks plain HTTP")
    p.set_defaults(func=cmd_attest)

    p = sub.add_parser(
        "verify-verdict",
        help="exit 0 only if a valid, signed, full, passing and fresh verdict exists",
    )
    p.add_argument("target", help="a readiness-report.json, or an image reference in a registry")
    p.add_argument("--key", help="public key (cosign.pub) of key-signed verdicts")
    p.add_argument("--identity", help="expected signer identity (certificate SAN)")
    p.add_argument("--identity-regex", help="expected signer identity as a regular expression")
    p.add_argument("--issuer", help="expected OIDC issuer of the signer")
    p.add_argument(
        "--trusted-root",
        default="production",
        help="Sigstore trusted root: production, staging or a trusted_root.json",
    )
    p.add_argument("--environment", help="the verdict must be for this environment")
    p.add_argument("--max-age", help="the verdict must be younger than this (e.g. 24h, 7d)")
    p.add_argument("--attestation", help="attestation file (default: beside the report)")
    p.add_argument("--ca-file", help="CA bundle for the registry")
    p.add_argument("--plain-http", action="store_true", help="registry speaks plain HTTP")
    p.set_defaults(func=cmd_verify)
