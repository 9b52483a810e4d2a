"""Verbatim core: documents → chunks → embeddings → FAISS index → quoted answers.

Nothing heavy is imported here: the model and the index are loaded by the objects that
need them (``Engine.open``), never at import time.
"""

__all__ = ["__version__"]
__version__ = "0.1.0"
