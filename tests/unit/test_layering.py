"""The layers hold: api never reaches storage, logic never touches AWS or Chalice (tests/layering.py)."""

from __future__ import annotations

from pathlib import Path

from tests.layering import violations

ROOT = Path(__file__).resolve().parents[2]


def test_chalicelib_keeps_its_layers() -> None:
    found = violations(ROOT)
    assert not found, "forbidden imports:\n" + "\n".join(map(str, found))


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def test_the_checker_finds_each_kind_of_forbidden_import(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "chalicelib/api/things.py": "from chalicelib.dal.things import ThingModel\n",
            "chalicelib/api/other.py": "def handler():\n    import chalicelib.dal.other as store\n    return store\n",
            "chalicelib/api/rel.py": "from ..dal import things\n",
            "chalicelib/logic/things.py": "import boto3\nfrom botocore.exceptions import ClientError\n",
            "chalicelib/logic/sub/deep.py": "def f():\n    from pynamodb.attributes import UnicodeAttribute\n",
            "chalicelib/logic/web.py": "from chalice import Response\n",
        },
    )
    found = {(v.path, v.line) for v in violations(root)}
    assert found == {
        ("chalicelib/api/things.py", 1),
        ("chalicelib/api/other.py", 2),
        ("chalicelib/api/rel.py", 1),
        ("chalicelib/logic/things.py", 1),
        ("chalicelib/logic/things.py", 2),
        ("chalicelib/logic/sub/deep.py", 2),
        ("chalicelib/logic/web.py", 1),
    }


def test_the_checker_allows_what_the_layers_allow(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "chalicelib/api/things.py": "from chalicelib.logic import things\nfrom chalice import Blueprint\n",
            "chalicelib/logic/things.py": "from chalicelib.dal import things\nimport chalicelib.errors\n",
            "chalicelib/logic/names.py": "import chaliceish\nfrom boto3ish import x\n",
            "chalicelib/dal/things.py": "import boto3\nfrom pynamodb.models import Model\n",
        },
    )
    assert violations(root) == []
