"""The supervised layer: a fine-tuned all-MiniLM-L6-v2 (int8 ONNX) read by onnxruntime.

The model ships inside the package as two files next to this module: ``risk-model.onnx``
(the encoder with its classification heads) and ``risk-model.json`` (version, data digest,
SHA-256 of the ONNX file and of the tokenizer, calibration and thresholds). The SHA-256 of
both files is checked at load: any mismatch raises ``ModelFileError``, and the reader then
fails closed. No torch at run time: onnxruntime and tokenizers only.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt

MODEL_DIR: Final = Path(__file__).parent / "model"
MODEL_PATH: Final = MODEL_DIR / "risk-model.json"
FORMAT: Final = "alongside-risk-encoder/1"
# The heads the model has: the risk of the whole window, then one per C-SSRS construct.
CONSTRUCTS: Final = (
    "wish_dead",
    "ideation",
    "method",
    "intent",
    "plan",
    "preparation",
    "attempt",
    "interrupted_attempt",
    "aborted_attempt",
    "self_harm",
)
OUTPUTS: Final = ("risk", *CONSTRUCTS)

FloatArray = npt.NDArray[np.float64]


class ModelFileError(Exception):
    """The model files are missing, unreadable, altered or inconsistent."""


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class Calibration:
    """A monotone map from the risk logit to a probability (isotonic, fitted on dev)."""

    x: tuple[float, ...]
    y: tuple[float, ...]

    def __call__(self, logits: npt.ArrayLike) -> FloatArray:
        """Calibrated probabilities for raw logits (linear between the fitted points)."""
        values = np.asarray(logits, dtype=np.float64)
        out: FloatArray = np.interp(values, self.x, self.y)
        return np.clip(out, 0.0, 1.0)


@dataclass(frozen=True)
class RiskModel:
    """The loaded encoder, its tokenizer, calibration and thresholds."""

    version: str
    data_digest: str
    max_tokens: int
    calibration: Calibration
    thresholds: dict[str, float]
    construct_thresholds: dict[str, float]
    metadata: dict[str, Any]
    session: Any = field(repr=False)
    tokenizer: Any = field(repr=False)

    def logits(self, texts: Sequence[str]) -> FloatArray:
        """Raw logits, one row per text, columns in the order of ``OUTPUTS``."""
        if not texts:
            return np.zeros((0, len(OUTPUTS)), dtype=np.float64)
        # One text per run, unpadded: a text's reading never depends on what it is read with
        # (int8 dynamic quantisation scales activations per batch, and padding to the longest
        # member costs time), so a sentence reads the same alone, in a window or as the text.
        rows = []
        for encoding in self.tokenizer.encode_batch(list(texts)):
            n = max(1, sum(encoding.attention_mask))
            ids = np.array([encoding.ids[:n]], dtype=np.int64)
            mask = np.ones((1, n), dtype=np.int64)
            rows.append(self.session.run(None, {"input_ids": ids, "attention_mask": mask})[0][0])
        result: FloatArray = np.asarray(rows, dtype=np.float64)
        if result.shape != (len(texts), len(OUTPUTS)):
            raise ModelFileError(f"the model returned shape {result.shape}")
        if not np.all(np.isfinite(result)):
            raise ModelFileError("the model returned non-finite numbers")
        return result

    def probabilities(self, texts: Sequence[str]) -> tuple[FloatArray, FloatArray]:
        """Calibrated risk probability per text, and the construct probabilities (sigmoid)."""
        raw = self.logits(texts)
        risk = self.calibration(raw[:, 0])
        constructs: FloatArray = 1.0 / (1.0 + np.exp(-raw[:, 1:]))
        return risk, constructs


@functools.cache
def shipped_version() -> str | None:
    """The version of the shipped model (from its JSON file, without loading the model);
    None when the file is missing or unreadable."""
    try:
        raw = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    version = raw.get("version") if isinstance(raw, dict) else None
    return str(version) if version else None


def load_model(path: Path | None = None, *, threads: int = 1) -> RiskModel:
    """Load and verify the model (default: the shipped one); raise ``ModelFileError``."""
    path = path or MODEL_PATH
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ModelFileError(f"the risk model file {path} does not exist") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"the risk model file {path} is unreadable: {exc}") from exc
    try:
        if not isinstance(raw, dict) or raw.get("format") != FORMAT:
            raise ModelFileError(f"{path} is not a risk model in format {FORMAT}")
        onnx_path = path.parent / str(raw["onnx"]["file"])
        tokenizer_path = path.parent / str(raw["tokenizer"]["file"])
        for label, file, expected in (
            ("model", onnx_path, str(raw["onnx"]["sha256"])),
            ("tokenizer", tokenizer_path, str(raw["tokenizer"]["sha256"])),
        ):
            if not file.is_file():
                raise ModelFileError(f"the risk {label} file {file} does not exist")
            actual = sha256_file(file)
            if actual != expected:
                raise ModelFileError(
                    f"the risk {label} file {file} does not match its recorded SHA-256 "
                    f"(expected {expected[:12]}…, found {actual[:12]}…): refusing to use it"
                )
        if tuple(raw["outputs"]) != OUTPUTS:
            raise ModelFileError(f"{path}: the model's outputs are not {OUTPUTS}")
        calibration = Calibration(
            tuple(float(v) for v in raw["calibration"]["x"]),
            tuple(float(v) for v in raw["calibration"]["y"]),
        )
        if len(calibration.x) < 2 or len(calibration.x) != len(calibration.y):
            raise ModelFileError(f"{path}: the calibration needs matching x and y points")
        if any(b < a for a, b in zip(calibration.x, calibration.x[1:], strict=False)) or any(
            b < a for a, b in zip(calibration.y, calibration.y[1:], strict=False)
        ):
            raise ModelFileError(f"{path}: the calibration is not monotone")
        thresholds = {k: float(v) for k, v in raw["thresholds"].items()}
        if "moderate" not in thresholds or not 0.0 < thresholds["moderate"] < 1.0:
            raise ModelFileError(f"{path}: needs a moderate threshold between 0 and 1")
        construct_thresholds = {k: float(v) for k, v in raw["construct_thresholds"].items()}
        if set(construct_thresholds) != set(CONSTRUCTS):
            raise ModelFileError(f"{path}: needs one threshold per construct")
        max_tokens = int(raw["max_tokens"])
        # Imported here so that the rules load without onnxruntime.
        import onnxruntime as ort
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(tokenizer_path))
        tokenizer.enable_truncation(max_length=max_tokens)
        tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # noqa: S106 - a token, not a secret
        options = ort.SessionOptions()
        # One text is read on one core; a server scales by processes, not by threads here.
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        session = ort.InferenceSession(
            str(onnx_path), sess_options=options, providers=["CPUExecutionProvider"]
        )
        return RiskModel(
            version=str(raw["version"]),
            data_digest=str(raw["data_digest"]),
            max_tokens=max_tokens,
            calibration=calibration,
            thresholds=thresholds,
            construct_thresholds=construct_thresholds,
            metadata=dict(raw.get("metadata", {})),
            session=session,
            tokenizer=tokenizer,
        )
    except ModelFileError:
        raise
    except Exception as exc:  # a malformed file or a corrupt ONNX graph
        raise ModelFileError(f"the risk model {path} is malformed: {exc!r}") from exc
