"""Write constructs_lib/data/crd_schemas/ from the pinned charts' sources (default ../shared/charts).

    python scripts/extract_crd_schemas.py [CHARTS_DIR]

Run it after changing constructs_lib/gates/crd_schemas.py's VERSIONS or SOURCES;
tests/test_check_crd_schemas.py fails while the shipped files differ from a fresh extraction.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from constructs_lib.gates.crd_schemas import FOLDER, extract  # noqa: E402


def main(argv: list[str]) -> int:
    charts = Path(argv[0]) if argv else ROOT.parent / "shared" / "charts"
    target = ROOT / "constructs_lib" / "data" / FOLDER
    target.mkdir(parents=True, exist_ok=True)
    files = extract(charts)
    for old in target.glob("*.json"):
        if old.name not in files:
            old.unlink()
    for name, text in files.items():
        (target / name).write_text(text, encoding="utf-8")
        print(f"{target.relative_to(ROOT) / name}: {len(text):,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
