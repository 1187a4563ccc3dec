"""Which top-level package of petiq imports which: ``python -m tests.import_graph`` prints the table.

Every ``import`` and ``from … import`` statement of the packages' modules counts, at any depth (a function-level
import too: it runs when the function does); a cell is the number of statements from the row's package naming a
module of the column's package. ``tests/test_boundaries.py`` holds the rules this table must obey.
"""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

__all__ = ["PACKAGES", "ROOT", "import_counts", "imported_modules", "render"]

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("imaging", "models", "core", "workers", "service", "cli", "bench")
"""The repository's top-level packages, from the domain outwards."""


def imported_modules(path: Path) -> list[str]:
    """The dotted module names the file at ``path`` imports (relative imports resolved are not used here)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def import_counts(*, root: Path = ROOT) -> Counter[tuple[str, str]]:
    """``(importer, imported) → statements`` between petiq's top-level packages (a package with itself left out)."""
    counts: Counter[tuple[str, str]] = Counter()
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")) if (root / package).is_dir() else []:
            for name in imported_modules(path):
                target = name.split(".")[0]
                if target in PACKAGES and target != package:
                    counts[(package, target)] += 1
    return counts


def render(counts: Counter[tuple[str, str]]) -> str:
    """The table: one row per importing package, one column per imported one; ``.`` for none."""
    present = [package for package in PACKAGES if (ROOT / package).is_dir()]
    width = max(len(package) for package in present) + 2
    lines = ["imports →".ljust(width) + "".join(package.rjust(width) for package in present)]
    for row in present:
        cells = (str(counts[(row, column)]) if counts[(row, column)] else "." for column in present)
        lines.append(row.ljust(width) + "".join(cell.rjust(width) for cell in cells))
    return "\n".join(lines)


if __name__ == "__main__":
    print(render(import_counts()))
