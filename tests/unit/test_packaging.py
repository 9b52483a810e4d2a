"""The wheel (what `pip install .` and the Docker image install) holds every module and data
file the code needs: bot.handlers was once missing from it, so the image could not start."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def test_the_wheel_holds_every_module_and_data_file(tmp_path: Path) -> None:
    source = tmp_path / "source"  # a copy: an old build/ folder in the checkout would mask it
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "index", "bot"):
        copy = shutil.copytree if (ROOT / name).is_dir() else shutil.copy
        copy(ROOT / name, source / name)
    pip = [sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "--no-build-isolation"]
    subprocess.run(
        [*pip, "--quiet", "-w", str(tmp_path)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = tmp_path.glob("verbatim-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    needed = [
        p.relative_to(ROOT).as_posix()
        for folder in ("index", "bot")
        for p in (ROOT / folder).rglob("*")
        if p.suffix in {".py", ".po", ".json"} and "__pycache__" not in p.parts
    ]
    assert "bot/handlers/questions.py" in needed
    assert "bot/locale/ru/LC_MESSAGES/verbatim.po" in needed
    assert [n for n in needed if n not in names] == []
