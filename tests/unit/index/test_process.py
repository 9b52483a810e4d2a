"""Process-wide settings are made by the entry points (index.process), not by constructors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from index.config import Settings
from index.embedding import HashingEmbedder
from index.engine import Engine

ROOT = Path(__file__).resolve().parents[3]

_PROBE = """
import json, os, sys
import threadpoolctl
{before}
blas = [lib["num_threads"] for lib in threadpoolctl.threadpool_info() if lib["user_api"] == "blas"]
print(json.dumps({{"blas": blas, "offline": os.environ.get("HF_HUB_OFFLINE")}}))
"""


def _probe(before: str) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "TRANSFORMERS_"))}
    env["OPENBLAS_NUM_THREADS"] = "2"  # so that a limit is visible on any machine
    env.pop("OMP_NUM_THREADS", None)
    out = subprocess.run(
        [sys.executable, "-c", _PROBE.format(before=before)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        check=True,
    )
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def test_the_entry_points_put_blas_on_one_thread_and_go_offline() -> None:
    """index.threads: multi-threaded BLAS spinning beside the model made answers 5x slower."""
    probed = _probe("from index.process import prepare_process\nprepare_process()")
    blas = probed["blas"]
    assert isinstance(blas, list) and blas and all(n == 1 for n in blas)
    assert probed["offline"] == "1"


def test_the_core_leaves_the_process_alone() -> None:
    """A program using index/ as a library keeps its BLAS threads and its environment."""
    probed = _probe(
        "import tempfile\n"
        "from pathlib import Path\n"
        "from index.config import Settings\n"
        "from index.embedding import HashingEmbedder\n"
        "from index.engine import Engine\n"
        "folder = Path(tempfile.mkdtemp())\n"
        "settings = Settings(corpus_dir=Path('corpus'), index_dir=folder, model='hashing-fake')\n"
        "engine = Engine(settings, HashingEmbedder())\n"
        "engine.build()\n"
        "assert engine.answer('When was Koryolink established?').passages\n"
    )
    blas = probed["blas"]
    assert isinstance(blas, list) and blas and any(n > 1 for n in blas)
    assert probed["offline"] is None


def test_answering_does_not_write_the_environment(tmp_path: Path, corpus: Path) -> None:
    before = dict(os.environ)
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "idx", model="hashing-fake")
    engine = Engine(settings, HashingEmbedder())
    engine.build()
    assert engine.answer("When did Eyjafjallajökull erupt?").passages
    assert dict(os.environ) == before
