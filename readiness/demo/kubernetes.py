"""Demo component: the recorded `shop` cluster served over HTTPS on 127.0.0.1:16443.

No API server runs here; the real ``kubernetes`` client reads recorded API responses
(``k8s_demo/shop-cluster.json``) replayed as if recorded at start, so the demo shows
a complete rollout beside a crash-looping one, a Pending pod and a NotReady node.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from readiness.demo import Component
from readiness.demo._k8s_api import (
    RecordedApiServer,
    Recording,
    load_recording,
    shift_timestamps,
)
from readiness.demo._k8s_cluster import RECORDED_AT, RECORDING
from readiness.demo.tls import issue, make_ca

ORDER = 40
PORT = 16443
TOKEN = "demo-readiness-token"


def start(workdir: Path) -> Component:
    out = workdir / "k8s"
    ca = make_ca(out, name="readiness demo k8s CA")
    cert = issue(ca, out, "apiserver")
    lists = load_recording(RECORDING)["lists"]
    lists = shift_timestamps(lists, dt.datetime.now(dt.UTC) - RECORDED_AT)
    server = RecordedApiServer(
        Recording(lists), port=PORT, token=TOKEN, cert=(cert.cert, cert.key)
    ).start()
    return Component(
        name="kubernetes",
        description=f"recorded API server of cluster 'shop' at {server.url} (CA {ca.cert_file})",
        stop=server.stop,
        env={"READINESS_DEMO_K8S_TOKEN": TOKEN},
    )
