"""Process-wide settings, made once by the entry points — the ``verbatim`` command
(``index.cli.main``), the benchmarks, the tests' conftest — and never by a constructor: a
program that uses ``index/`` as a library keeps its process as it set it up.

* the environment of the Hugging Face libraries: offline (model weights are never downloaded
  at run time), no tokenizer thread pool forked into workers, no progress bars or advisory
  warnings; a variable already set is left as it is;
* one BLAS thread for answering (``index.threads``: 5-6x faster answers on two cores).
"""

from __future__ import annotations

import os

from index.threads import limit_blas_for_answering

ENVIRONMENT = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "TOKENIZERS_PARALLELISM": "false",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "TRANSFORMERS_VERBOSITY": "error",
    "TRANSFORMERS_NO_ADVISORY_WARNINGS": "1",
}


def prepare_process() -> None:
    """Set the environment (where unset) and the BLAS threads, for a process that answers
    (and builds: a build's cost is the model's, in torch, whose threads are untouched)."""
    for name, value in ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    limit_blas_for_answering()
