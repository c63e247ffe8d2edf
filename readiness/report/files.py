"""The run's report files as one set: the previous run's set is removed at start, the new
one is written into a staging folder inside the report directory and then renamed into
place, the JSON digest last. A reader never sees half a file, nor a stale pass beside a
new failure.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

JSON_NAME = "readiness-report.json"
DIGEST_NAME = JSON_NAME + ".sha256"
HTML_NAME = "readiness-report.html"
JUNIT_NAME = "junit.xml"

# Publication order: the JSON digest last, so a digest always matches its JSON.
REPORT_NAMES = (HTML_NAME, JUNIT_NAME, JSON_NAME, DIGEST_NAME)


def _mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask  # reports are for reading and archiving


class ReportSet:
    """One run's report files in ``report_dir``."""

    def __init__(self, report_dir: Path):
        self.report_dir = report_dir
        self._staging: Path | None = None

    def clear_previous(self) -> list[Path]:
        """Remove the previous run's reports (a stale pass must not outlive this run)."""
        removed = []
        for name in REPORT_NAMES:
            path = self.report_dir / name
            if path.is_file() or path.is_symlink():
                path.unlink()
                removed.append(path)
        return removed

    @property
    def staging(self) -> Path:
        """This run's private staging folder (created on first use)."""
        if self._staging is None:
            self.report_dir.mkdir(parents=True, exist_ok=True)
            self._staging = Path(
                tempfile.mkdtemp(prefix=".readiness-staging-", dir=self.report_dir)
            )
        return self._staging

    def publish(
        self, files: Mapping[str, bytes | Iterable[bytes]], staged: tuple[str, ...] = ()
    ) -> list[Path]:
        """Write ``files`` (whole, or as pieces written one after the other, in the
        mapping's order) into the staging folder, then rename them and the ``staged``
        files already there (e.g. the HTML page pytest-html wrote) into place."""
        try:
            ready = self._write(files, staged)
            # The files being replaced go first, the digest before all: a run killed
            # while renaming leaves none of the files it replaces beside one of this set.
            stale = [DIGEST_NAME] if JSON_NAME in ready else []
            for name in stale + [n for n in REPORT_NAMES if n in ready]:
                (self.report_dir / name).unlink(missing_ok=True)
            published = []
            for name in [n for n in REPORT_NAMES if n in ready] + [
                n for n in ready if n not in REPORT_NAMES
            ]:
                target = self.report_dir / name
                os.replace(ready[name], target)
                published.append(target)
        finally:  # written or not, nothing of this attempt is left behind
            self.discard()
        return published

    def _write(
        self, files: Mapping[str, bytes | Iterable[bytes]], staged: tuple[str, ...]
    ) -> dict[str, Path]:
        mode = _mode()
        ready: dict[str, Path] = {}
        for name, data in files.items():
            path = self.staging / name
            with path.open("wb") as fh:
                if isinstance(data, bytes):
                    fh.write(data)
                else:
                    for chunk in data:
                        fh.write(chunk)
            path.chmod(mode)
            ready[name] = path
        for name in staged:
            path = self.staging / name
            if path.is_file():
                path.chmod(mode)
                ready[name] = path
        return ready

    def discard(self) -> None:
        if self._staging is not None:
            shutil.rmtree(self._staging, ignore_errors=True)
            self._staging = None
