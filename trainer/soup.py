"""Average the weights of fine-tuned models into one (a "model soup", Wortsman et al., 2022).

``python -m trainer.soup --models A B [C ...] [--weights 0.5,0.5] --output-dir OUT``

Models fine-tuned from one starting point (a warm start, a continuation, a fresh draw) often lie in one basin of
the loss, and their average generalises better than any of them on conditions none was trained on, at the cost
of one model at inference: OUT is an ordinary model folder (``pipeline("audio-classification")`` and the app load
it). Every ingredient must have the same architecture, labels and feature extractor; only the extractor's input
normalisation (``mean``, ``std``: each run measures its own data) may differ, and it is folded exactly into the
patch embedding (a linear map of the input) so that every ingredient reads the first one's inputs. The head's folded
temperatures differ between ingredients, so OUT carries no calibration: refit it with ``python -m trainer.evaluate
--model OUT --dataset DATA --recalibrate-on validation`` before serving it.
"""

from __future__ import annotations

import json
import logging
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

logger = logging.getLogger(__name__)

WEIGHTS_FILE = "model.safetensors"
COPIED_FILES = ("config.json", "preprocessor_config.json", "pokedex.json", "cry_locator.safetensors")
"""Taken from the first ingredient (checked equal where it matters); calibration.json is left out on purpose."""
IGNORED_CONFIG_KEYS = ("_name_or_path", "transformers_version", "torch_dtype", "dtype")
NORMALISATION_KEYS = ("mean", "std")
"""Extractor settings that may differ between ingredients: AST's input normalisation ``(x - mean) / (2 std)``."""
PATCH_PROJECTION = "audio_spectrogram_transformer.embeddings.patch_embeddings.projection"


class SoupError(ValueError):
    """The ingredients cannot be averaged; the message names the folder and what was expected."""


@dataclass
class SoupArguments:
    models: list[str] = field(metadata={"help": "The model folders to average (at least two)."})
    output_dir: str = field(metadata={"help": "New model folder to write (refused when it exists and is not empty)."})
    weights: str | None = field(
        default=None, metadata={"help": "Comma-separated weight of each of --models (normalised to sum 1); default equal."})

    def __post_init__(self):
        if len(self.models) < 2:
            raise ValueError(f"--models {' '.join(self.models)}: expected at least two model folders")
        self.weight_list = [1.0] * len(self.models)
        if self.weights is not None:
            try:
                self.weight_list = [float(w) for w in self.weights.split(",")]
            except ValueError:
                raise ValueError(f"--weights {self.weights!r}: expected comma-separated numbers") from None
            if len(self.weight_list) != len(self.models) or any(not w > 0 for w in self.weight_list):
                raise ValueError(f"--weights {self.weights!r}: expected one positive number per model "
                                 f"({len(self.models)})")
        total = sum(self.weight_list)
        self.weight_list = [w / total for w in self.weight_list]


def _config(folder: Path) -> dict:
    path = folder / "config.json"
    if not (path.is_file() and (folder / WEIGHTS_FILE).is_file()):
        raise SoupError(f"{folder}: expected a model folder with config.json and {WEIGHTS_FILE}")
    config = json.loads(path.read_text(encoding="utf-8"))
    return {k: v for k, v in config.items() if k not in IGNORED_CONFIG_KEYS}


def _extractor(folder: Path) -> dict:
    path = folder / "preprocessor_config.json"
    if not path.is_file():
        raise SoupError(f"{folder}: no preprocessor_config.json; expected a model folder the trainer wrote")
    return json.loads(path.read_text(encoding="utf-8"))


def check_ingredients(folders: list[Path]) -> list[dict]:
    """Same architecture and labels (config.json) and feature extractor but for its normalisation; returns each
    ingredient's extractor settings."""
    first, extractors = _config(folders[0]), [_extractor(folders[0])]
    for folder in folders[1:]:
        config = _config(folder)
        differ = sorted(k for k in set(first) | set(config) if first.get(k) != config.get(k))
        if differ:
            raise SoupError(f"{folder}: its config differs from {folders[0]}'s in {', '.join(differ[:5])}; "
                            "expected models of one architecture with the same labels")
        extractor = _extractor(folder)
        differ = sorted(k for k in set(extractor) | set(extractors[0])
                        if k not in NORMALISATION_KEYS and extractor.get(k) != extractors[0].get(k))
        if differ:
            raise SoupError(f"{folder}: its preprocessor_config.json differs from {folders[0]}'s in "
                            f"{', '.join(differ[:5])}; expected one feature extractor (only mean and std may differ)")
        extractors.append(extractor)
    return extractors


def read_first_inputs(state: dict, extractor: dict, first: dict) -> dict:
    """``state`` re-expressed for inputs normalised with ``first``'s mean and std instead of its own.

    Its inputs are ``a·x + b`` of the first's ``x`` (``a = std₀/std``, ``b = (mean₀ − mean)/(2 std)``; padding
    included, as it is normalised too), and the patch embedding is a convolution without padding, so scaling its
    kernel by ``a`` and adding ``b·Σkernel`` to its bias gives exactly the same outputs.
    """
    a = float(first["std"]) / float(extractor["std"])
    b = (float(first["mean"]) - float(extractor["mean"])) / (2.0 * float(extractor["std"]))
    if a == 1.0 and b == 0.0:
        return state
    if f"{PATCH_PROJECTION}.weight" not in state:
        raise SoupError(f"no {PATCH_PROJECTION} in the weights; expected an ASTForAudioClassification to fold a "
                        "different input normalisation into")
    weight, bias = state[f"{PATCH_PROJECTION}.weight"], state[f"{PATCH_PROJECTION}.bias"]
    return {**state, f"{PATCH_PROJECTION}.weight": weight * a,
            f"{PATCH_PROJECTION}.bias": bias + b * weight.sum(dim=tuple(range(1, weight.dim())))}


def average_weights(folders: list[Path], weights: list[float], extractors: list[dict] | None = None) -> dict:
    """The weighted mean of every floating-point tensor (others, e.g. integer buffers, from the first), each
    ingredient first re-expressed for the first one's input normalisation (``extractors``)."""
    from safetensors.torch import load_file

    states = [load_file(str(f / WEIGHTS_FILE)) for f in folders]
    if extractors:
        states = [read_first_inputs(s, e, extractors[0]) for s, e in zip(states, extractors, strict=True)]
    names = set(states[0])
    for folder, state in zip(folders[1:], states[1:], strict=True):
        if set(state) != names or any(state[k].shape != states[0][k].shape for k in names):
            raise SoupError(f"{folder}: its tensors differ from {folders[0]}'s in name or shape; expected one "
                            "architecture")
    out = {}
    for name, first in states[0].items():
        if first.is_floating_point():
            out[name] = sum(w * s[name].double() for w, s in zip(weights, states, strict=True)).to(first.dtype)
        else:
            out[name] = first.clone()
    return out


def make_soup(args: SoupArguments) -> Path:
    """Write the averaged model folder atomically; returns its path."""
    from safetensors.torch import save_file

    folders = [Path(m) for m in args.models]
    out = Path(args.output_dir)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise SoupError(f"{out}: exists and is not an empty folder; expected a new output folder")
    extractors = check_ingredients(folders)
    state = average_weights(folders, args.weight_list, extractors)
    tmp = out.with_name(f".{out.name}.souping")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        save_file(state, str(tmp / WEIGHTS_FILE), metadata={"format": "pt"})
        for name in COPIED_FILES:
            if (folders[0] / name).is_file():
                shutil.copy2(folders[0] / name, tmp / name)
        recipe = {"ingredients": [str(f) for f in folders], "weights": args.weight_list}
        (tmp / "soup.json").write_text(json.dumps(recipe, indent=2) + "\n", encoding="utf-8")
        if out.exists():
            out.rmdir()
        tmp.rename(out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def main(argv: list[str] | None = None) -> int:
    from transformers import HfArgumentParser

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        (args,) = HfArgumentParser(SoupArguments).parse_args_into_dataclasses(args=argv)
        out = make_soup(args)
    except ValueError as err:  # SoupError, or a value __post_init__ refused
        print(f"soup: {err}", file=sys.stderr)
        return 2
    print(f"wrote {out}: the mean of {len(args.models)} models (weights "
          f"{', '.join(f'{w:.3f}' for w in args.weight_list)}); refit its calibration before serving it")
    return 0


if __name__ == "__main__":
    sys.exit(main())
