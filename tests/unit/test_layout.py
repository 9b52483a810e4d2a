"""The house rules of the layout: the core (``index``) is a library that never imports the bot."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def test_the_index_never_imports_the_bot() -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(m for m in _imports(path) if m.split(".")[0] == "bot")
        for path in sorted((ROOT / "index").rglob("*.py"))
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_check_sees_imports_inside_functions(tmp_path: Path) -> None:
    sample = tmp_path / "m.py"
    sample.write_text("def f():\n    from bot.app import run\n    import bot\n", encoding="utf-8")
    assert _imports(sample) == {"bot.app", "bot"}


LONG_MODULE = 300  # lines; a longer module says why at its top ("One module (...): why")


def _long_modules_without_a_reason(folders: list[Path]) -> list[str]:
    out = []
    for folder in folders:
        for path in sorted(folder.rglob("*.py")):
            text = path.read_text(encoding="utf-8")
            if text.count("\n") <= LONG_MODULE:
                continue
            docstring = ast.get_docstring(ast.parse(text)) or ""
            if "One module (" not in docstring:
                out.append(str(path.relative_to(folder.parent)))
    return out


def test_every_long_module_says_why_it_is_one() -> None:
    folders = [ROOT / name for name in ("index", "bot", "tests", "bench")]
    assert _long_modules_without_a_reason(folders) == []


def test_the_length_check_finds_a_long_module(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "long.py").write_text('"""Long."""\n' + "x = 1\n" * 400)
    (tmp_path / "pkg" / "ok.py").write_text(
        '"""Long.\n\nOne module (400 lines): why."""\n' + "x = 1\n" * 400
    )
    assert _long_modules_without_a_reason([tmp_path / "pkg"]) == ["pkg/long.py"]
