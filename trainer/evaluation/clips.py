"""Pre-cut dataset clips: logits through the trainer's feature path, labels mapped to the model, report columns."""

from __future__ import annotations

import numpy as np

REPORT_COLUMNS = ("rendition", "condition", "snr_db", "background_kind", "generation")


def metadata_columns(ds) -> dict[str, list]:
    """The non-audio columns the reports group by (those present; the clip report picks its own, the recordings
    report groups by every one)."""
    wanted = [c for c in REPORT_COLUMNS if c in ds.column_names]
    return ds.select_columns(wanted).to_dict() if wanted else {}


def model_label_ids(model_names: list[str], dataset_names: list[str]) -> np.ndarray:
    """Dataset label index → model label index, matched by species name."""
    index = {n: i for i, n in enumerate(model_names)}
    unknown = [n for n in dataset_names if n not in index]
    if unknown:
        raise ValueError(
            f"the dataset has {len(unknown)} labels the model does not know ({', '.join(unknown[:5])}); "
            "expected the model's id2label to cover every dataset label"
        )
    return np.asarray([index[n] for n in dataset_names], dtype=np.int64)


def predict_logits(model, extractor, store, batch_size: int = 32, device=None) -> np.ndarray:
    """Logits for every cached clip, padded and normalised exactly as the extractor does."""
    import torch

    from ..features import FbankCollator

    collator = FbankCollator.for_extractor(extractor)
    device = torch.device(device or "cpu")
    model.eval().to(device)
    out = []
    with torch.inference_mode():
        for start in range(0, len(store), batch_size):
            batch = collator([{"fbank": store[i]} for i in range(start, min(start + batch_size, len(store)))])
            out.append(model(input_values=batch["input_values"].to(device)).logits.float().cpu().numpy())
    return np.concatenate(out) if out else np.zeros((0, model.config.num_labels), dtype=np.float32)
