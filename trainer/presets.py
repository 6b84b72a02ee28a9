"""Compact AST configurations for training from random weights (``--init scratch --preset NAME``).

Each preset is a dict of ``ASTConfig`` keyword arguments; ``max_length`` and the labels are filled in
by the trainer from the dataset. The lead tunes these for the embedded default model.
"""

from __future__ import annotations

PRESETS: dict[str, dict] = {
    # For tests and smoke runs: trains in seconds on a CPU.
    "tiny": dict(
        hidden_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=128,
        num_mel_bins=64,
        patch_size=16,
        frequency_stride=16,
        time_stride=16,
        hidden_dropout_prob=0.0,
        attention_probs_dropout_prob=0.0,
    ),
    # The embedded default model: 4 blocks, 192 wide, 3 heads (about 2 M parameters). Non-overlapping
    # 16 x 16 patches give 4 x 25 = 100 tokens for a 4 s clip: the fastest grid that still learned in our probes.
    "small": dict(
        hidden_size=192,
        num_hidden_layers=4,
        num_attention_heads=3,
        intermediate_size=768,
        num_mel_bins=64,
        patch_size=16,
        frequency_stride=16,
        time_stride=16,
        hidden_dropout_prob=0.1,
        attention_probs_dropout_prob=0.0,
    ),
}


def preset_config_kwargs(name: str) -> dict:
    """A copy of preset ``name``'s ``ASTConfig`` kwargs; a clear error for an unknown name."""
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; expected one of: {', '.join(PRESETS)}")
    return dict(PRESETS[name])
