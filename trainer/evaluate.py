"""Evaluate a model folder and write the report: ``python -m trainer.evaluate`` (``who-evaluate``).

Two views of one model, side by side when both are asked for:

- **clips** (default, ``--dataset``): the pre-cut clips of a split through the trainer's features, written as
  ``metrics.json``/``metrics.md`` (overall and per rendition, condition, SNR band and background kind),
  ``per_class.csv``, the most-confused pairs and three plots (reliability, confusion with names, accuracy
  per SNR band). Probabilities use the folder's fitted temperature.
- **the app's path** (``--through-recognizer``, ``--heldout-sim`` and/or ``--real-parts``): whole recordings through
  :class:`recognizer.predict.Recognizer` (windows, detector, calibration: what ``/predict`` runs), written as
  ``recordings.json``/``recordings.md``: top-1/top-5, the share answered and the precision of answers,
  overall and per condition. ``--through-recognizer`` scores the ``--dataset`` split (in-distribution);
  ``--heldout-sim`` the held-out simulator's captures of the reference cries in ``--cries-dir``
  (:mod:`heldout`; needs ``pedalboard`` from requirements-dev.txt); ``--real-parts DIR`` the same plan through
  the held-out chain with real recorded parts (measured loudspeaker and hall responses, game music no build
  uses: :func:`heldout.simulator.real_parts_simulator`). With ``--dataset`` too, the split is scored beside them.
- **calibration for the unseen** (``--recalibrate-on heldout-sim``): the temperature and the "not sure"
  threshold fitted through the recogniser on a validation draw of the held-out simulator
  (``--heldout-validation-seed``, never the evaluation's ``--heldout-seed``), written as
  ``OUTPUT_DIR/calibration.json`` (into MODEL too with ``--install-calibration``) with
  ``heldout_calibration.json``/``.md``: the fit, and the asked-for sets under the model's calibration and the
  fitted one (:mod:`trainer.evaluation.heldout_calibration`).

The parts live in :mod:`trainer.evaluation`; the names below are re-exported for existing callers.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from recognizer.model_files import load_calibration

from .evaluation.clips import metadata_columns, model_label_ids, predict_logits
from .evaluation.markdown import markdown
from .evaluation.report import report
from .evaluation.scoring import (
    BAND_ORDER,
    CAPTURE_BANDS,
    GROUP_COLUMNS,
    NO_BACKGROUND,
    SNR_BANDS,
    TOP_K,
    Scorer,
    confused_pairs,
    per_class_rows,
    snr_band,
)

__all__ = [
    "BAND_ORDER", "CAPTURE_BANDS", "GROUP_COLUMNS", "NO_BACKGROUND", "SNR_BANDS", "TOP_K", "EvaluateArguments",
    "Scorer", "confused_pairs", "main", "markdown", "metadata_columns", "model_label_ids", "per_class_rows",
    "predict_logits", "report", "run", "snr_band",
]

logger = logging.getLogger(__name__)

HELDOUT_SIM = "heldout-sim"
"""``--recalibrate-on`` value: fit calibration on held-out-simulator validation captures through the recogniser."""


def _snr_list(flag: str, text: str) -> tuple[float, ...]:
    try:
        return tuple(float(v) for v in text.split(",") if v.strip())
    except ValueError as err:
        raise ValueError(f"{flag} {text!r}: expected comma-separated numbers like 20,10,0") from err


@dataclass
class EvaluateArguments:
    model: str = field(metadata={"help": "Model folder written by the trainer (or any AST audio classifier)."})
    dataset: str | None = field(
        default=None, metadata={"help": "Builder output folder, save_to_disk folder or Hub dataset id (needed "
                                "unless --heldout-sim)."}
    )
    split: str = field(default="test")
    output_dir: str | None = field(default=None, metadata={"help": "Default: MODEL/eval-SPLIT (MODEL/eval-heldout "
                                                           "with --heldout-sim alone)."})
    dataset_config: str | None = field(default=None)
    dataset_cache_dir: str | None = field(default=None, metadata={"help": "datasets' own cache folder."})
    batch_size: int = field(default=32)
    max_samples: int | None = field(default=None)
    cache_dir: str | None = field(default=None, metadata={"help": "Feature cache (default as the trainer's)."})
    device: str | None = field(default=None, metadata={"help": "cpu, cuda, … (default: cuda if available)."})
    recalibrate_on: str | None = field(
        default=None,
        metadata={"help": "Refit the temperature and the 'not sure' threshold on this split (e.g. validation) in fp32 "
                  "and rewrite MODEL/calibration.json before the report; or 'heldout-sim': fit them through the app's "
                  "recogniser on a validation draw of the held-out simulator (--heldout-validation-seed), write "
                  "OUTPUT_DIR/calibration.json (MODEL's too with --install-calibration) and the before/after report."},
    )
    target_precision: float = field(
        default=0.95, metadata={"help": "With --recalibrate-on: validation precision the threshold is chosen for."}
    )
    through_recognizer: bool = field(
        default=False, metadata={"help": "Score the split's clips as whole recordings through the app's recogniser "
                                 "(windows, detector, calibration) instead of as pre-cut clips."}
    )
    heldout_sim: bool = field(
        default=False, metadata={"help": "Score the held-out simulator's captures of the reference cries in "
                                 "--cries-dir through the app's recogniser (beside --dataset when given)."}
    )
    cries_dir: str | None = field(
        default=None, metadata={"help": "With --heldout-sim: PokeAPI's cries layout (…/cries/pokemon/{latest,legacy}/<id>.ogg)."}
    )
    ids: str = field(default="1-151", metadata={"help": "With --heldout-sim: Pokédex ids, e.g. 1-151 or 1-9,25."})
    renditions: str = field(default="latest,legacy", metadata={"help": "With --heldout-sim: latest, legacy or both."})
    snr_db: str = field(default="20,10,0", metadata={"help": "With --heldout-sim: background SNR targets (dB)."})
    clean_lead_in: bool = field(
        default=True, metadata={"help": "With --heldout-sim: also each clean cry after a 0–1.5 s lead-in at any level."}
    )
    heldout_seed: int = field(default=0, metadata={"help": "With --heldout-sim: the seed every capture derives from."})
    forms_csv: str | None = field(
        default=None, metadata={"help": "With --heldout-sim / --real-parts: PokeAPI's pokemon.csv; the alternate forms "
                                "of --ids with a latest cry of their own are captured too, counted for their species "
                                "(a 'form' group), e.g. ../shared/pokeapi/pokeapi/data/v2/csv/pokemon.csv."}
    )
    real_parts: str | None = field(
        default=None, metadata={"help": "Also (or, without --heldout-sim, instead) a real-parts set of the same plan "
                                "(--cries-dir, --ids, --snr-db, --heldout-seed): the held-out chain with measured "
                                "loudspeaker and hall responses from this folder (loudspeakers/, rooms/; "
                                "scripts/fetch_real_parts.sh) and the game music of --real-parts-music."}
    )
    real_parts_music: str = field(
        default="data/music/heldout", metadata={"help": "With --real-parts: game music that no build uses "
                                                "(scripts/fetch_music.sh writes it)."}
    )
    heldout_validation_seed: int | None = field(
        default=None, metadata={"help": "With --recalibrate-on heldout-sim: the seed of the validation captures "
                                "(default --heldout-seed + 1; must differ from it)."}
    )
    heldout_validation_snr_db: str | None = field(
        default=None, metadata={"help": "With --recalibrate-on heldout-sim: the validation captures' SNR targets "
                                "(dB; default --snr-db)."}
    )
    window_scores: bool = field(
        default=False, metadata={"help": "With --recalibrate-on heldout-sim: also save every set's window logits "
                                 "(OUTPUT_DIR/window_scores_*.npz) to refit without rerunning the model."}
    )
    install_calibration: bool = field(
        default=False, metadata={"help": "With --recalibrate-on heldout-sim: also write the fitted calibration.json "
                                 "into MODEL (the app then uses it)."}
    )
    threads: int | None = field(default=None, metadata={"help": "Recogniser threads (default as the app's)."})

    def __post_init__(self) -> None:
        if not 0.0 < self.target_precision <= 1.0:
            raise ValueError(f"--target-precision must be in (0, 1], got {self.target_precision}")
        if self.recalibrate_on is not None and self.recalibrate_on == self.split:
            raise ValueError(
                f"--recalibrate-on {self.recalibrate_on!r} is the evaluated split: fit the calibration on another "
                "split (validation) so that the report stays honest"
            )
        on_split = self.recalibrate_on is not None and not self.recalibrate_on_heldout
        simulated = self.heldout_sim or self.real_parts is not None
        if self.dataset is None and (not (simulated or self.recalibrate_on_heldout) or self.through_recognizer
                                     or on_split):
            raise ValueError("--dataset is required (a builder folder or Hub id) unless --heldout-sim is given alone")
        if (simulated or self.recalibrate_on_heldout) and not self.cries_dir:
            raise ValueError(f"--heldout-sim, --real-parts and --recalibrate-on {HELDOUT_SIM} need --cries-dir "
                             "(PokeAPI's cries layout, e.g. ../shared/pokeapi/cries)")
        self.snr_values = _snr_list("--snr-db", self.snr_db)
        self.validation_snr_values = _snr_list("--heldout-validation-snr-db", self.heldout_validation_snr_db or self.snr_db)
        self.validation_seed = self.heldout_seed + 1 if self.heldout_validation_seed is None else self.heldout_validation_seed
        if self.recalibrate_on_heldout and self.validation_seed == self.heldout_seed:
            raise ValueError(f"--heldout-validation-seed {self.validation_seed} is the evaluation's --heldout-seed: "
                             "fit the calibration on another draw so that the report stays honest")
        if self.install_calibration and not self.recalibrate_on_heldout:
            raise ValueError(f"--install-calibration goes with --recalibrate-on {HELDOUT_SIM}")
        self.rendition_list = tuple(r.strip() for r in self.renditions.split(",") if r.strip())

    @property
    def recalibrate_on_heldout(self) -> bool:
        return self.recalibrate_on == HELDOUT_SIM

    @property
    def recognizer_mode(self) -> bool:
        return self.through_recognizer or self.heldout_sim or self.real_parts is not None

    def default_output_dir(self) -> str:
        return self.output_dir or os.path.join(self.model, "eval-heldout" if self.dataset is None else f"eval-{self.split}")


def _clip_logits(args: EvaluateArguments):
    """A function split → (dataset rows, logits, model labels) through the trainer's cached features, and the model's names."""
    import torch
    from transformers import AutoFeatureExtractor, AutoModelForAudioClassification

    from common.files import default_cache_dir
    from frontend.fbank import window_samples
    from frontend.locator import load_locator
    from frontend.windows import onset_setting

    from .data import load_cry_dataset, subset, validate
    from .features import cached_fbanks
    from .model import check_model_path

    check_model_path(args.model)
    model = AutoModelForAudioClassification.from_pretrained(args.model)
    extractor = AutoFeatureExtractor.from_pretrained(args.model)
    locator = load_locator(args.model)
    dsd = load_cry_dataset(args.dataset, args.dataset_config, cache_dir=args.dataset_cache_dir)
    dataset_names = validate(dsd, [args.split] + ([args.recalibrate_on] if args.recalibrate_on else []))
    model_names = [model.config.id2label[i] for i in range(model.config.num_labels)]
    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")

    def split_logits(split: str):
        ds = subset(dsd[split], args.max_samples)
        # each clip prepared as the app prepares a recording, cut to the model's window (frontend.windows)
        store = cached_fbanks(ds, extractor.num_mel_bins, args.cache_dir or default_cache_dir(), desc=split,
                              window=window_samples(int(extractor.max_length)),
                              onset_below_peak_db=onset_setting(extractor), locator=locator)
        labels = model_label_ids(model_names, dataset_names)[store.labels]
        return ds, predict_logits(model, extractor, store, args.batch_size, device), labels

    return split_logits, model_names


def _recalibrate(args: EvaluateArguments, split_logits, out: str, model_names: list[str]) -> dict:
    """Refit calibration on ``--recalibrate-on`` and save it into the model folder; returns the fit's report."""
    from recognizer.calibrated_head import fold_into_folder
    from recognizer.model_files import save_calibration

    from .calibration import calibrate

    _, val_logits, val_labels = split_logits(args.recalibrate_on)
    calibration, cal_report = calibrate(val_logits, val_labels, args.target_precision, model_names)
    save_calibration(args.model, calibration)
    fold_into_folder(args.model)  # the refit temperature joins the head (on top of any folded before)
    Path(out).mkdir(parents=True, exist_ok=True)
    cal_report["split"] = args.recalibrate_on
    (Path(out) / "calibration_report.json").write_text(json.dumps(cal_report, indent=2) + "\n", encoding="utf-8")
    logger.info("recalibrated on %s: temperature %.3f, threshold %.3f", args.recalibrate_on,
                calibration.temperature, calibration.threshold)
    return cal_report


def run(args: EvaluateArguments) -> dict:
    """Recalibrate if asked, then write the clip report or the app's-path report; returns its metrics."""
    out = args.default_output_dir()
    if args.recalibrate_on_heldout:
        from .evaluation.heldout_calibration import heldout_calibration_report

        return heldout_calibration_report(args, out)
    cal_report = None
    if args.recalibrate_on or not args.recognizer_mode:
        split_logits, model_names = _clip_logits(args)
        if args.recalibrate_on:
            cal_report = _recalibrate(args, split_logits, out, model_names)
    if args.recognizer_mode:
        from .evaluation.app_path import recordings_report

        metrics = recordings_report(args, out)
    else:
        ds, logits, labels = split_logits(args.split)
        metrics = report(logits, labels, model_names, metadata_columns(ds), load_calibration(args.model), out, args.split)
    if cal_report is not None and not args.recognizer_mode:
        from .card import refresh_model_card

        if not refresh_model_card(args.model, cal_report, markdown(metrics)):
            logger.warning("%s: no train_summary.json card entry; the model card was not updated", args.model)
    logger.info("wrote the report to %s", out)
    return metrics


def main(argv: list[str] | None = None) -> None:
    from transformers import HfArgumentParser

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    (args,) = HfArgumentParser(EvaluateArguments).parse_args_into_dataclasses(args=argv)
    metrics = run(args)
    if args.recalibrate_on_heldout:
        from .evaluation.heldout_calibration import markdown_calibration

        print(markdown_calibration(metrics))
    elif args.recognizer_mode:
        from .evaluation.recordings import markdown_recordings

        print(markdown_recordings(metrics["sets"]))
    else:
        print(markdown(metrics))


if __name__ == "__main__":
    main()
