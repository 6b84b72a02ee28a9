"""Stage 2: fine-tune an Audio Spectrogram Transformer on the cry dataset and evaluate it honestly."""
