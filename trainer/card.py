"""The model card (``README.md`` of the model folder): metadata, dataset link, evaluation table, use and limits."""

from __future__ import annotations

import json
import os
from pathlib import Path

from common.files import atomic_write
from common.hub import hub_endpoint, looks_local
from common.species import NO_CRY_LABEL


def dataset_link(dataset: str) -> tuple[str, str | None]:
    """Markdown link (or plain description) of the training dataset, and its Hub id when it has one."""
    if Path(dataset).exists() or looks_local(dataset):
        name = Path(dataset).resolve().name
        return f"a local dataset folder (`{name}`) built with `python -m dataset_builder`", None
    endpoint = hub_endpoint()
    return f"[{dataset}]({endpoint}/datasets/{dataset})", dataset


def base_model_origin(base_model: str | None, preset: str | None, _depth: int = 0) -> tuple[str, str | None]:
    """How the card names where the weights came from, and the ``base_model`` for its metadata (Hub ids only).

    A local checkpoint (e.g. an earlier stage of a curriculum) is no Hub repository: the card names the folder and,
    following the ``train_summary.json`` of each stage, where that one came from in turn.
    """
    if not base_model:
        return f"trained from random weights (preset `{preset}`)", None
    if not (Path(base_model).exists() or looks_local(base_model)):
        endpoint = hub_endpoint()
        return f"fine-tuned from [{base_model}]({endpoint}/{base_model})", base_model
    folder = Path(base_model)
    origin = f"fine-tuned from a local checkpoint (`{folder.resolve().name}`"
    try:
        summary = json.loads((folder / "train_summary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        summary = {}
    if summary.get("init") == "scratch":
        origin += f", itself trained from random weights with preset `{summary.get('preset')}`"
    elif summary.get("init") == "pretrained" and summary.get("model") and _depth < 8:
        origin += ", itself " + base_model_origin(summary["model"], None, _depth + 1)[0]
    return origin + ")", None


FRAMEWORKS = ("transformers", "torch", "datasets", "accelerate", "huggingface_hub")
METRIC_TYPES = {"accuracy": ("accuracy", "Top-1 accuracy"), "top5_accuracy": ("accuracy", "Top-5 accuracy"),
                "macro_f1": ("f1", "Macro F1")}


def framework_versions() -> dict[str, str]:
    """Installed versions of the libraries that trained the model (the card's "Framework versions")."""
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for name in FRAMEWORKS:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            continue
    return found


def eval_results(overall: dict, split: str) -> dict:
    """The test metrics the card's ``model-index`` holds: ``{"split", metric: value}``."""
    return {"split": split, **{k: round(float(overall[k]), 4) for k in METRIC_TYPES if overall.get(k) is not None}}


def model_index(results: dict | None, dataset: str, hub_id: str | None) -> list:
    """``EvalResult`` rows for ``ModelCardData`` (empty without a test evaluation)."""
    from huggingface_hub import EvalResult

    if not results:
        return []
    name = hub_id or Path(dataset).name
    return [
        EvalResult(task_type="audio-classification", task_name="Audio Classification", dataset_type=name,
                   dataset_name=name, dataset_split=results["split"], metric_type=METRIC_TYPES[k][0],
                   metric_name=METRIC_TYPES[k][1], metric_value=results[k])
        for k in METRIC_TYPES if k in results
    ]


def hyperparameter_lines(hyperparameters: dict | None, versions: dict | None) -> str:
    """The "Training procedure" section: hyperparameters and framework versions as bullet lists."""
    if not hyperparameters and not versions:
        return ""
    lines = ["## Training procedure", "", "### Training hyperparameters", ""]
    lines += [f"- {k}: {v}" for k, v in (hyperparameters or {}).items()]
    lines += ["", "### Framework versions", ""]
    lines += [f"- {k} {v}" for k, v in (versions or {}).items()]
    return "\n".join(lines) + "\n"


def card_metadata(base_model: str | None, hub_datasets: list[str], results: list, model_name: str):
    """The card's YAML header: pipeline, license, base model and datasets (Hub ids only), and the ``model-index``."""
    from huggingface_hub import ModelCardData

    return ModelCardData(
        library_name="transformers",
        pipeline_tag="audio-classification",
        license="mit",
        base_model=base_model,
        datasets=hub_datasets or None,
        metrics=["accuracy", "f1"],
        tags=["audio-classification", "audio-spectrogram-transformer", "pokemon", "who_tf_screamin"],
        model_name=model_name if results else None,
        eval_results=results or None,
    )


USE_AND_LIMITATIONS = """## Intended use
Recognising Pokémon cries played by a game, a TV or a speaker and recorded with a phone or a computer
microphone, in the who_tf_screamin app; and as a reproducible baseline for audio classification research.

## Limitations
- It only knows the species it was trained on; anything else (speech, music, other animals, silence)
  gets one of those names unless its `no_cry` class (when it has one) or the "not sure" threshold rejects it.
  Use the calibrated threshold. A new sound can be added without retraining (`python -m recognizer.enrol`);
  with the folder's `enrol_map.safetensors` (`python -m trainer.enrol_map`) its row is the one training
  would have given it, and with simulated captures of the references (`python -m dataset_builder.captures`,
  `--captures`, the folder's `enrol_map_captures.safetensors`) it is placed where phone captures land, with
  `--capture-rows K` a row per group of captures; with the folder's `enrol_negatives.safetensors`
  (`python -m trainer.enrol_negatives`) it gets a "not sure" threshold of its own, the lowest (at least 0.5) that
  answers it for few sounds that are not it. Even so, species never trained are named far less often than trained
  ones, and an enrolled sound is still shown under "not sure" more often than a trained one.
- The test split holds variants (room, microphone, codec, background noise) synthesised by the dataset
  builder; real recordings in loud places will score lower than the numbers above.
- Evolution lines that share a base cry at another pitch (e.g. Psyduck and Golduck) are the hardest pairs.
- The cries are © The Pokémon Company; this model is a fan research project, not an official product.
"""
"""The card's fixed sections: what the model is for and where it falls short."""


def model_card(
    *,
    dataset: str,
    base_model: str | None,
    preset: str | None,
    label_names: list[str],
    metrics_markdown: str | None,
    calibration_report: dict,
    max_length: int,
    trainable: str,
    extra_train_datasets: list[str] | tuple[str, ...] = (),
    hyperparameters: dict | None = None,
    framework_versions: dict | None = None,
    eval_results: dict | None = None,
    model_ref: str | None = None,
    onset_below_peak_db: float | None = None,
    app_calibration: dict | None = None,
    cry_locator: bool = False,
) -> str:
    """The card's text (YAML header from ``huggingface_hub.ModelCardData``, with a ``model-index``, + markdown).

    ``model_ref`` is what ``pipeline(model=...)`` is given in the usage example: the Hub repository or the folder.
    ``onset_below_peak_db`` is the front end's onset setting (None: off), ``cry_locator`` whether the folder carries
    a learned cry locator (it then decides where the first window starts); ``app_calibration`` the calibration the
    app applies when it was refitted on the held-out simulator (``calibration.json``), else None.
    """
    link, hub_id = dataset_link(dataset)
    extras = [dataset_link(d) for d in extra_train_datasets]
    if extras:
        link += ", with the train split of " + " and ".join(x[0] for x in extras) + " appended to its own"
    origin, base_model = base_model_origin(base_model, preset)
    model_ref = model_ref or "."
    data = card_metadata(base_model, [i for i in [hub_id, *(x[1] for x in extras)] if i],
                         model_index(eval_results, dataset, hub_id), Path(model_ref).name)
    examples = ", ".join(label_names[:5]) + ("…" if len(label_names) > 5 else "")
    cal = calibration_report
    return f"""---
{data.to_yaml()}
---

# who_tf_screamin — which Pokémon is screaming?

An Audio Spectrogram Transformer ({trainable}) {origin} on {link}. It names a Pokémon species from a
few seconds of its cry: {len(label_names)} classes ({examples}).{_no_cry_sentence(label_names)} Inputs are {max_length} fbank frames
({max_length / 100:.2f} s); the feature extractor carries the dataset's own mean and standard deviation.{_onset_sentence(onset_below_peak_db, cry_locator)}

```python
from transformers import pipeline
classify = pipeline("audio-classification", model={model_ref!r})
classify("cry.wav", top_k=5)
```

`pokedex.json` holds each species' names in several languages, types, generation, Pokédex number and
{_calibration_sentences(cal, app_calibration)}

{metrics_markdown or "No test split was evaluated."}

{USE_AND_LIMITATIONS}
{hyperparameter_lines(hyperparameters, framework_versions)}"""


def _no_cry_sentence(label_names: list[str]) -> str:
    """What the ``no_cry`` class means, when the model has one."""
    if NO_CRY_LABEL not in label_names:
        return ""
    return (f" One class, `{NO_CRY_LABEL}`, stands for recordings without a cry (music, talk, noise through the same "
            "capture chain): the app never shows it as a species, and a `pipeline()` user should read it as \"no cry\".")


def _onset_sentence(onset_below_peak_db: float | None, cry_locator: bool = False) -> str:
    if cry_locator:
        return (" The first window of a recording starts where a learned cry locator (`cry_locator.safetensors`, "
                "`frontend.locator` in the project) puts the cry, in training as in the app; `pipeline()` scores "
                "the clip as given.")
    if onset_below_peak_db is None:
        return ""
    return (f" The first window of a recording starts at the cry's onset (the first 10 ms frame within "
            f"{onset_below_peak_db:g} dB of its loudest, `onset_below_peak_db` in `preprocessor_config.json`), in "
            "training as in the app.")


def _calibration_sentences(cal: dict, app_calibration: dict | None) -> str:
    """Where ``pipeline()``'s probabilities and the app's "not sure" threshold come from."""
    folded = (f"sprite URL; the training-time softmax temperature ({cal.get('temperature', 1.0):.3f}) is folded into "
              "the classifier head, so `pipeline()` returns probabilities calibrated on the validation clips")
    threshold, precision = f"{cal.get('threshold', 0.0):.3f}", f"{cal.get('target_precision', 0.95):.2f}"
    if app_calibration is None:
        return (f"{folded} (`calibration.json` stores 1.0), and `calibration.json` holds the \"not sure\" threshold "
                f"({threshold}, chosen on validation for precision {precision}).")
    return (f"{folded}. `calibration.json` holds what the app applies on top: a temperature of "
            f"{app_calibration['temperature']:.3f} and the \"not sure\" threshold {app_calibration['threshold']:.3f}, "
            "fitted through the app's path on a validation draw of the project's held-out capture simulator for "
            f"precision {app_calibration['target_precision']:g} (the training-time threshold was {threshold}, for "
            f"precision {precision} on the validation clips).")


def write_model_card(output_dir: str | os.PathLike, **kwargs) -> Path:
    """Write ``README.md`` into the model folder atomically; the front end's onset setting is read from the folder's
    ``preprocessor_config.json`` when not given."""
    from frontend.locator import LOCATOR_FILE
    from frontend.windows import ONSET_SETTING
    from recognizer.model_files import preprocessor_setting

    folder = Path(output_dir)
    kwargs.setdefault("onset_below_peak_db", preprocessor_setting(folder, ONSET_SETTING))
    kwargs.setdefault("cry_locator", (folder / LOCATOR_FILE).is_file())
    return atomic_write(folder / "README.md", model_card(**kwargs))


def refresh_model_card(model_dir: str | os.PathLike, calibration_report: dict, metrics_markdown: str | None,
                       app_calibration: dict | None = None) -> bool:
    """Write the card again after the calibration was refitted, from what the trainer recorded about the training.

    Returns False (card left as it is) for a folder the trainer did not write: no ``card`` in ``train_summary.json``.
    """
    folder = Path(model_dir)
    try:
        card = json.loads((folder / "train_summary.json").read_text(encoding="utf-8"))["card"]
        id2label = json.loads((folder / "config.json").read_text(encoding="utf-8"))["id2label"]
    except (OSError, ValueError, KeyError):
        return False
    names = [id2label[str(i)] for i in range(len(id2label))]
    write_model_card(folder, **card, label_names=names, metrics_markdown=metrics_markdown,
                     calibration_report=calibration_report, app_calibration=app_calibration)
    return True


def refresh_card_for_app_calibration(model_dir: str | os.PathLike, app_calibration: dict) -> bool:
    """The card again after the app's calibration was refitted on the held-out simulator and installed, with the
    evaluate stage's test report and training-time calibration (``eval/metrics.md``, ``eval/calibration_report.json``).

    Returns False (card left as it is) when the folder lacks them or was not written by the trainer.
    """
    folder = Path(model_dir)
    try:
        metrics_md = (folder / "eval" / "metrics.md").read_text(encoding="utf-8")
        training = json.loads((folder / "eval" / "calibration_report.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return refresh_model_card(folder, training, metrics_md, app_calibration)
