"""Baselines for bench/sbom_validate.py, run by the python of the bench's own venv (which
has cdx-ev and jsonschema[format]; readiness is not importable there).

    python _cdx_baselines.py serve          # cdx-ev: one JSON answer per "PATH" line on stdin
    python _cdx_baselines.py strict PATH    # JsonStrictValidator with jsonschema's format checkers

Each answer: {"valid": bool, "cpu": seconds of CPU for the validation itself, "errors": n}.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any


def cdxev(path: str) -> dict[str, Any]:
    from cdxev.validator.helper import validate_instance

    start = time.process_time()
    with open(path, encoding="utf-8") as handle:
        doc = json.load(handle)
    result = validate_instance(doc, str(doc.get("specVersion", "")), "default", None)
    cpu = time.process_time() - start
    return {"valid": not result.errors, "cpu": cpu, "errors": len(result.errors)}


def strict(path: str) -> dict[str, Any]:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    version = SchemaVersion.from_version(str(json.loads(text).get("specVersion", "")))
    start = time.process_time()
    error = JsonStrictValidator(version).validate_str(text)
    return {"valid": error is None, "cpu": time.process_time() - start, "errors": int(bool(error))}


def main() -> None:
    if sys.argv[1] == "strict":
        print(json.dumps(strict(sys.argv[2])), flush=True)
        return
    for line in sys.stdin:
        print(json.dumps(cdxev(line.strip())), flush=True)


if __name__ == "__main__":
    main()
