"""Making the model's ONNX export, on this machine, from its sentence-transformers folder
(never downloaded): ``torch.onnx.export`` of the transformer with the model's pooling and
normalisation inside the graph, then onnxruntime's own ``quantize_dynamic`` for int8.

Why not sentence-transformers' own ``backend="onnx"``: it needs ``optimum-onnx``, whose every
release requires ``transformers<4.58`` while sentence-transformers 6 requires
``transformers>=5`` — pip refuses the pair (``ResolutionImpossible``; the README's
Backends section quotes the error).

An export is kept in ``VERBATIM_MODEL_CACHE`` (``.verbatim/models``) under a key made of the
model's files (names, sizes, times) and the export's options (``export.json`` beside
``model.onnx`` says what it was made from); it is made once, atomically, the first time the
backend is used, and again only when the model or the options change. Making it needs torch
(a dependency anyway); using it (``index.onnx_backend``) does not import torch at all.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import logging
import os
import shutil
import tempfile
import warnings
from pathlib import Path

from index.embedding import resolve_model_path
from index.errors import ConfigError

log = logging.getLogger(__name__)

#: ``onnx``: the float32 graph (the torch model's vectors to 1e-5); ``onnx-int8``: its
#: weights quantised to int8 per channel, activations quantised at run time.
ONNX_BACKENDS = ("onnx", "onnx-int8")
#: bump when the export below changes what it makes (2: the attention traced as plain
#: operations, "eager", instead of PyTorch's fused SDPA: ONNX Runtime runs it faster)
EXPORT_VERSION = 2
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def model_key(model_path: Path, backend: str) -> str:
    """The export's folder name: a hash of the export's options and of the model's files —
    their names, sizes and modification times, as ``make`` would judge them (hashing their
    contents read 90 MB at every start: 60-80 ms of a 0.5 s start)."""
    digest = hashlib.sha256(f"{backend}\0{EXPORT_VERSION}".encode())
    for path in sorted(p for p in model_path.rglob("*") if p.is_file()):
        if path.name.startswith(".") or path.suffix == ".md":
            continue
        stat = path.stat()
        name = path.relative_to(model_path).as_posix()
        digest.update(f"{name}\0{stat.st_size}\0{stat.st_mtime_ns}\0".encode())
    return f"{model_path.name}-{backend}-{digest.hexdigest()[:16]}"


def ensure_export(model: str, backend: str, cache_dir: Path) -> Path:
    """The folder of ``model``'s export for ``backend`` (``model.onnx``, ``tokenizer.json``,
    ``export.json``), made now if it is not in ``cache_dir`` yet."""
    if backend not in ONNX_BACKENDS:
        raise ConfigError(f"unknown ONNX backend {backend!r}: use one of {ONNX_BACKENDS}")
    model_path = _local_folder(model)
    if model_path is None:
        raise ConfigError(
            f"the {backend} backend needs a sentence-transformers folder for VERBATIM_MODEL, "
            f"here or already in the Hugging Face cache ({model!r} is neither): set "
            "VERBATIM_BACKEND=torch"
        )
    _pooling(model_path)  # refused before any work
    target = cache_dir / model_key(model_path, backend)
    if (target / "export.json").is_file():
        return target
    log.info("exporting %s to ONNX (%s) in %s: once per model", model, backend, target)
    cache_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".export-", dir=cache_dir))
    try:
        _export(model_path, work, quantize=backend == "onnx-int8")
        try:
            os.rename(work, target)
        except OSError:  # another process made it meanwhile: theirs is the same
            if not (target / "export.json").is_file():
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


def _export(model_path: Path, out: Path, *, quantize: bool) -> None:
    """``torch.onnx.export`` of the transformer, pooling and normalisation included; then
    the int8 quantisation if asked."""
    import torch
    from transformers import AutoModel

    pooling = _pooling(model_path)
    # "eager" attention traces as MatMul/Softmax, which ONNX Runtime's graph optimiser fuses
    # and runs faster than the trace of torch's SDPA (chunks encoded 1.10x, sentences 1.04x,
    # the same vectors to 1e-6: README, Backends)
    transformer = AutoModel.from_pretrained(
        str(model_path), local_files_only=True, attn_implementation="eager"
    ).eval()
    takes_types = "token_type_ids" in inspect.signature(transformer.forward).parameters
    inputs = _INPUTS if takes_types else _INPUTS[:2]

    class Sentence(torch.nn.Module):  # the model as sentence-transformers runs it
        def __init__(self) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(self, *tensors: torch.Tensor) -> torch.Tensor:
            named = dict(zip(inputs, tensors, strict=True))
            hidden = self.transformer(**named).last_hidden_state
            if pooling == "cls":
                pooled = hidden[:, 0]
            else:
                mask = named["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2.0, dim=1)

    ids = torch.tensor([[101, 7592, 2088, 102], [101, 7592, 102, 0]])
    example = {"input_ids": ids, "attention_mask": (ids > 0).long()}
    example["token_type_ids"] = torch.zeros_like(ids)
    axes: dict[str, dict[int, str]] = {name: {0: "batch", 1: "tokens"} for name in inputs}
    graph = out / ("model-float.onnx" if quantize else "model.onnx")
    with torch.no_grad(), warnings.catch_warnings():
        # The tracer's warnings are about shapes it fixes in the graph; the export is checked
        # against torch at several batch sizes and lengths (tests/integration).
        warnings.simplefilter("ignore")
        torch.onnx.export(
            Sentence(),
            tuple(example[name] for name in inputs),
            str(graph),
            input_names=list(inputs),
            output_names=["embedding"],
            dynamic_axes={**axes, "embedding": {0: "batch"}},
            opset_version=17,
            dynamo=False,  # the TorchScript exporter: the dynamo one needs onnxscript
        )
    if quantize:
        import onnx
        from onnxruntime.quantization import QuantType, quantize_dynamic

        # onnxruntime logs, on the root logger, a hint to pre-process the graph (shape
        # inference for static quantisation): dynamic quantisation does not need it.
        root = logging.getLogger()
        level = root.level
        root.setLevel(logging.ERROR)
        try:
            quantize_dynamic(
                str(graph),
                str(out / "model.onnx"),
                weight_type=QuantType.QInt8,
                per_channel=True,
                extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
            )
        finally:
            root.setLevel(level)
        graph.unlink()
    shutil.copy(model_path / "tokenizer.json", out / "tokenizer.json")
    details = {
        "export_version": EXPORT_VERSION,
        "source": str(model_path),
        "inputs": list(inputs),
        "pooling": pooling,
        "max_tokens": _max_tokens(model_path),
        "quantized": "int8 weights per channel, dynamic activations" if quantize else None,
        "torch": torch.__version__,
    }
    (out / "export.json").write_text(json.dumps(details, indent=2), encoding="utf-8")


def _local_folder(model: str) -> Path | None:
    """The sentence-transformers folder of ``model``: a path, the bundled model, or a hub
    name already in the Hugging Face cache (never downloaded); None if there is none."""
    path = Path(resolve_model_path(model))
    if (path / "modules.json").is_file():
        return path
    if path.exists() or model.count("/") > 1:
        return None
    from huggingface_hub import snapshot_download

    for name in (model, f"sentence-transformers/{model}") if "/" not in model else (model,):
        try:
            cached = Path(snapshot_download(name, local_files_only=True))
        except Exception:  # noqa: S112 - not in the cache (or not a valid name): the next
            continue
        if (cached / "modules.json").is_file():
            return cached
    return None


def _pooling(model_path: Path) -> str:
    """ "mean" or "cls", from the model's Pooling module; other poolings are refused."""
    modules = json.loads((model_path / "modules.json").read_text(encoding="utf-8"))
    pooling = next((m for m in modules if m.get("type", "").endswith(".Pooling")), None)
    if pooling is None:
        return "mean"
    config = json.loads((model_path / pooling["path"] / "config.json").read_text(encoding="utf-8"))
    modes = {
        k.removeprefix("pooling_mode_")
        for k, v in config.items()
        if k.startswith("pooling_mode_") and v
    }
    if modes == {"mean_tokens"}:
        return "mean"
    if modes == {"cls_token"}:
        return "cls"
    raise ConfigError(
        f"the ONNX backend runs mean or CLS pooling; {model_path} pools by {sorted(modes)}: "
        "set VERBATIM_BACKEND=torch"
    )


def _max_tokens(model_path: Path) -> int:
    config = model_path / "sentence_bert_config.json"
    if config.is_file():
        value = json.loads(config.read_text(encoding="utf-8")).get("max_seq_length")
        if value:
            return int(value)
    return 512


def main() -> int:
    """``python -m index.onnx_export``: make the exports of VERBATIM_MODEL for every ONNX
    backend in VERBATIM_MODEL_CACHE now (the Docker image does, so that the bot starts at
    once); print where they are."""
    from index.config import load_settings
    from index.process import prepare_process

    prepare_process()
    settings = load_settings()
    for backend in ONNX_BACKENDS:
        print(ensure_export(settings.model, backend, settings.model_cache))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
