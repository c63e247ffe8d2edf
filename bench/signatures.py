"""Offline Sigstore verification throughput: N bundles from the private Sigstore instance
(message signatures over image digests) verified as SC-SIGNATURE does (bundle parse,
signer identity and issuer read from the certificate, regex identity policy, digest
binding) against the bare ``sigstore`` API in the same run: ``Bundle.from_json`` and
``Verifier.verify_artifact`` with sigstore's own ``Identity`` policy. Rounds alternate
(ours, then the baseline, on the same bundle); the goal is a ratio <= 1.1x.

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

from sigstore.hashes import Hashed
from sigstore.models import Bundle, TrustedRoot
from sigstore.verify import Verifier
from sigstore.verify.policy import Identity
from sigstore_models.common.v1 import HashAlgorithm

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

    ours: list[float] = []
    bare: list[float] = []
    ok = bare_ok = 0
    for i, (digest, bundle) in enumerate(items):
        t0 = time.process_time()
        check = verify_sigstore_bundle(bundle, "bench", verifier, policy, artifact_digest=digest)
        t1 = time.process_time()
        hashed = Hashed(algorithm=HashAlgorithm.SHA2_256, digest=bytes.fromhex(digest[7:]))
        identity = Identity(identity=f"{WORKFLOW}@refs/tags/v1.{i}.0", issuer=ISSUER)
        verifier.verify_artifact(hashed, Bundle.from_json(bundle), identity)
        t2 = time.process_time()
        ours.append(t1 - t0)
        bare.append(t2 - t1)
        ok += check.ok
        bare_ok += 1
    q = statistics.quantiles(ours, n=100)
    print(
        f"bundles: {args.bundles} (Sigstore v0.3, hashedrekord, log of {len(lab.leaves)} entries; "
        f"made in {signed:.1f} s)"
    )
    print(f"readiness: verified {ok}/{args.bundles}, CPU {sum(ours):.2f} s")
    print(
        f"  per bundle: median {statistics.median(ours) * 1000:.2f} ms, "
        f"p95 {q[94] * 1000:.2f} ms, max {max(ours) * 1000:.2f} ms"
    )
    print(f"bare sigstore API: verified {bare_ok}/{args.bundles}, CPU {sum(bare):.2f} s")
    print(f"  per bundle: median {statistics.median(bare) * 1000:.2f} ms")
    print(f"ratio readiness / bare sigstore: {sum(ours) / sum(bare):.2f}x (goal <= 1.10x)")
    assert ok == args.bundles, "every bundle must verify"


if __name__ == "__main__":
    main()
