"""The layering rules of chalicelib, checked by walking the syntax tree of every module:

- nothing under ``chalicelib/api/`` imports ``chalicelib.dal``;
- nothing under ``chalicelib/logic/`` imports ``chalice``, ``boto3``, ``botocore`` or ``pynamodb``.

Both ``import x`` and ``from x import y`` count, wherever they appear (inside functions too);
relative imports are resolved against the importing module's package.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

#: (folder under the root, forbidden top-level packages or module prefixes)
RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("chalicelib/api", ("chalicelib.dal",)),
    ("chalicelib/logic", ("chalice", "boto3", "botocore", "pynamodb")),
)


@dataclass(frozen=True)
class Violation:
    path: str
    line: int
    module: str
    rule: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: imports {self.module} (forbidden under {self.rule}/)"


def _package_of(path: Path, root: Path) -> list[str]:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return parts[:-1] if parts[-1] != "__init__" else parts[:-1]


def imported_modules(source: str, package: list[str]) -> list[tuple[int, str]]:
    """Every module ``source`` imports, with its line: ``from a import b`` yields ``a`` and ``a.b``."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1] if node.level > 1 else package
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.append((node.lineno, module))
            found += [(node.lineno, f"{module}.{alias.name}") for alias in node.names]
    return found


def _forbidden(module: str, banned: tuple[str, ...]) -> bool:
    return any(module == b or module.startswith(b + ".") for b in banned)


def violations(root: Path) -> list[Violation]:
    """Every forbidden import under ``root`` (a checkout, or any tree shaped like one)."""
    out: list[Violation] = []
    for folder, banned in RULES:
        for path in sorted((root / folder).rglob("*.py")):
            package = _package_of(path, root)
            seen: set[tuple[int, str]] = set()
            for line, module in imported_modules(path.read_text(encoding="utf-8"), package):
                if _forbidden(module, banned) and (line, module.split(".")[0]) not in seen:
                    seen.add((line, module.split(".")[0]))
                    out.append(Violation(str(path.relative_to(root)), line, module, folder))
    return out
