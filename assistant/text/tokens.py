"""Token counts with tiktoken's cl100k_base, which works offline.

tiktoken downloads its encodings on first use, which fails without a network; llama-index-core
ships cl100k_base in its own cache and ``get_tokenizer`` points tiktoken there. Chunk sizes and
the written answers' prompts are both counted with it.
"""

from __future__ import annotations

from collections.abc import Callable

TokenCounter = Callable[[str], int]


def tiktoken_counter() -> TokenCounter:
    """Token counts with cl100k_base, loaded offline from llama-index-core's bundled cache."""
    from llama_index.core.utils import get_tokenizer

    encode = get_tokenizer()
    return lambda text: len(encode(text))
