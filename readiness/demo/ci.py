"""Demo component: recorded GitHub and GitLab API answers over HTTPS on 127.0.0.1:18450.

The ci family's own client reads them: the storefront's GitHub commit has its required
status (``example/2``) green, the payments GitLab pipeline has both jobs failed and no
container scan; checkout's released digest has GitHub provenance naming its repository,
commit and workflow, payments' a GitLab attestation made by a job of another pipeline
(see ``ci_demo/SOURCES.md`` for where each answer was recorded).
"""

from __future__ import annotations

from pathlib import Path

from readiness.demo import Component
from readiness.demo._ci_api import CiRecording, RecordedCiServer
from readiness.demo.tls import issue, make_ca

ORDER = 45
PORT = 18450
TOKEN = "demo-readiness-ci-token"


def start(workdir: Path) -> Component:
    out = workdir / "ci"
    ca = make_ca(out, name="readiness demo ci CA")
    cert = issue(ca, out, "ci-api")
    server = RecordedCiServer(
        CiRecording.load(), port=PORT, token=TOKEN, cert=(cert.cert, cert.key)
    ).start()
    return Component(
        name="ci",
        description=f"recorded GitHub and GitLab APIs at {server.url} (CA {ca.cert_file})",
        stop=server.stop,
        env={"READINESS_DEMO_CI_TOKEN": TOKEN},
    )
