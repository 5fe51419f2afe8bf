"""Token counts with tiktoken's cl100k_base, which works offline.

tiktoken downloads its encodings on first use, which fails without a network; llama-index-core
ships cl100k_base in its own cache, and tiktoken is pointed there. The folder is found without
importing llama-index-core, whose import alone takes seconds at the start of every ingest.
Chunk sizes and the written answers' prompts are both counted with it.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable
from functools import cache
from pathlib import Path

TokenCounter = Callable[[str], int]


def bundled_tiktoken_cache() -> Path:
    """llama-index-core's folder of tiktoken encodings."""
    spec = importlib.util.find_spec("llama_index.core")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("llama-index-core is not installed; run `make run`")
    return Path(next(iter(spec.submodule_search_locations))) / "_static" / "tiktoken_cache"


@cache
def _encode() -> Callable[[str], list[int]]:
    import tiktoken

    own = os.environ.get("TIKTOKEN_CACHE_DIR")
    os.environ["TIKTOKEN_CACHE_DIR"] = own or str(bundled_tiktoken_cache())
    try:
        encoding = tiktoken.get_encoding("cl100k_base")
    finally:
        if own is None:
            del os.environ["TIKTOKEN_CACHE_DIR"]
    return lambda text: encoding.encode(text, allowed_special="all")


def tiktoken_counter() -> TokenCounter:
    """Token counts with cl100k_base (what llama-index-core's ``get_tokenizer`` counts with)."""
    encode = _encode()
    return lambda text: len(encode(text))
