"""index.onnx_export without exporting: what it refuses before any work, and the key that
says when an export must be made again."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from index.errors import ConfigError
from index.onnx_export import ensure_export, model_key


def _model(folder: Path, **pooling: bool) -> Path:
    (folder / "1_Pooling").mkdir(parents=True)
    modules = [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {
            "idx": 1,
            "name": "1",
            "path": "1_Pooling",
            "type": "sentence_transformers.models.Pooling",
        },
    ]
    (folder / "modules.json").write_text(json.dumps(modules), encoding="utf-8")
    (folder / "1_Pooling" / "config.json").write_text(json.dumps(pooling), encoding="utf-8")
    (folder / "config.json").write_text("{}", encoding="utf-8")
    return folder


def test_a_pooling_the_graph_cannot_run_is_refused_before_any_work(tmp_path: Path) -> None:
    model = _model(tmp_path / "model", pooling_mode_max_tokens=True)
    with pytest.raises(ConfigError, match=r"mean or CLS pooling.*VERBATIM_BACKEND=torch"):
        ensure_export(str(model), "onnx", tmp_path / "cache")
    assert not (tmp_path / "cache").exists()


def test_a_name_that_is_not_a_local_folder_and_an_unknown_backend_are_refused(
    tmp_path: Path,
) -> None:
    with pytest.raises(ConfigError, match="here or already in the Hugging Face cache"):
        ensure_export("someone/some-model", "onnx", tmp_path)
    with pytest.raises(ConfigError, match="unknown ONNX backend"):
        ensure_export("all-MiniLM-L6-v2", "onnx-fp16", tmp_path)


def test_the_key_changes_with_the_model_files_and_the_backend(tmp_path: Path) -> None:
    model = _model(tmp_path / "model", pooling_mode_mean_tokens=True)
    first = model_key(model, "onnx")
    assert model_key(model, "onnx") == first and model_key(model, "onnx-int8") != first
    (model / "config.json").write_text('{"hidden_size": 8}', encoding="utf-8")
    assert model_key(model, "onnx") != first


def test_a_hub_name_already_in_the_cache_is_found_offline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``someone/tiny`` in the Hugging Face cache (its layout made here): the export reads it
    from there (this one is then refused for its pooling: it was found)."""
    import huggingface_hub.constants

    hub = tmp_path / "hub"
    repo = hub / "models--someone--tiny"
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text("abc123", encoding="utf-8")
    _model(repo / "snapshots" / "abc123", pooling_mode_max_tokens=True)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(hub))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ConfigError, match="mean or CLS pooling"):
        ensure_export("someone/tiny", "onnx", tmp_path / "cache")
    with pytest.raises(ConfigError, match="here or already in the Hugging Face cache"):
        ensure_export("someone/absent", "onnx", tmp_path / "cache")
