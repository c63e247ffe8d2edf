"""Offline Sigstore verification throughput: N bundles from the private Sigstore instance
(message signatures over image digests) verified with the stock ``sigstore`` Verifier
against a pinned trusted root and a regex identity policy, as SC-SIGNATURE does.

    python bench/signatures.py              # 1,000 bundles
    python bench/signatures.py --bundles 200
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sigstore.models import TrustedRoot
from sigstore.verify import Verifier

from readiness.demo.sigstore_lab import SigstoreLab
from readiness.profile.supply_chain import SignerIdentity
from readiness.rules.supply_chain_signing import verify_sigstore_bundle

ISSUER = "https://token.actions.githubusercontent.com"
WORKFLOW = "https://github.com/example/shop/.github/workflows/release.yml"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bundles", type=int, default=1000)
    args = parser.parse_args()

    lab = SigstoreLab()
    with tempfile.TemporaryDirectory() as tmp:
        root = lab.write_trusted_root(Path(tmp) / "trusted_root.json")
        verifier = Verifier(trusted_root=TrustedRoot.from_file(str(root)))
    policy = [SignerIdentity(identity_regex=rf"{WORKFLOW}@refs/tags/v.*", issuer=ISSUER)]

    start = time.perf_counter()
    items = []
    for i in range(args.bundles):
        digest = "sha256:" + hashlib.sha256(f"image {i}".encode()).hexdigest()
        items.append((digest, lab.sign_digest(digest, f"{WORKFLOW}@refs/tags/v1.{i}.0", ISSUER)))
    signed = time.perf_counter() - start

    per_bundle = []
    ok = 0
    for digest, bundle in items:
        t0 = time.perf_counter()
        check = verify_sigstore_bundle(bundle, "bench", verifier, policy, artifact_digest=digest)
        per_bundle.append(time.perf_counter() - t0)
        ok += check.ok
    total = sum(per_bundle)
    q = statistics.quantiles(per_bundle, n=100)
    print(
        f"bundles: {args.bundles} (Sigstore v0.3, hashedrekord, log of {len(lab.leaves)} entries; "
        f"made in {signed:.1f} s)"
    )
    print(f"verified: {ok}/{args.bundles} in {total:.2f} s")
    print(
        f"per bundle: median {statistics.median(per_bundle) * 1000:.2f} ms, "
        f"p95 {q[94] * 1000:.2f} ms, max {max(per_bundle) * 1000:.2f} ms"
    )
    assert ok == args.bundles, "every bundle must verify"


if __name__ == "__main__":
    main()
