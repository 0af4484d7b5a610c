"""``python -m bench`` (``make bench``): run every benchmark module found in this folder, one after another."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path


def main() -> int:
    folder = Path(__file__).resolve().parent
    names = sorted(m.name for m in pkgutil.iter_modules([str(folder)]) if not m.name.startswith("_"))
    failures = 0
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        if not hasattr(module, "main"):
            continue
        print(f"== bench.{name}", flush=True)
        failures += 1 if module.main() else 0
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
