"""A split's report as markdown tables (what the README and the model card quote)."""

from __future__ import annotations

from .scoring import TOP_K


def _row(name: str, m: dict) -> str:
    return f"| {name} | {m['n']} | {m['accuracy']:.3f} | {m[f'top{TOP_K}_accuracy']:.3f} | {m['macro_f1']:.3f} | {m['ece']:.3f} |"


def markdown(metrics: dict) -> str:
    """The report of :func:`trainer.evaluation.report.report` as markdown."""
    head = f"| group | clips | top-1 | top-{TOP_K} | macro-F1 | ECE |\n|---|---:|---:|---:|---:|---:|"
    lines = [f"## Evaluation on `{metrics['split']}`", "", head, _row("all", metrics["overall"])]
    for column, groups in metrics["groups"].items():
        lines += [_row(f"{column} = {value}", m) for value, m in groups.items()]
    ns = metrics["not_sure"]
    acc = ns["accuracy_when_answered"]
    lines += [
        "",
        f"Temperature {metrics['temperature']:.3f} (ECE {metrics['uncalibrated_ece']:.3f} before scaling, "
        f"{metrics['overall']['ece']:.3f} after). \"Not sure\" below top-1 probability {ns['threshold']:.3f} "
        f"(chosen on validation for precision {ns['target_precision']:.2f}): answers {ns['answered_fraction']:.1%} "
        f"of clips, {'no answers' if acc is None else f'{acc:.1%} of them right'}.",
        "",
        "Most-confused pairs (true → predicted):",
        "",
        "| true | predicted | count | share of true |",
        "|---|---|---:|---:|",
    ]
    lines += [f"| {p['true']} | {p['predicted']} | {p['count']} | {p['fraction_of_true']:.1%} |" for p in metrics["most_confused"]]
    return "\n".join(lines) + "\n"
