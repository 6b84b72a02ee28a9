"""The audio front end: the ground floor every stage stands on.

Whisper-style, one place declares every audio constant (with its unit) and owns every step between a
file and the model's input: decode, resample, mono (:mod:`frontend.audio`), the frame meter, trimming and
level normalisation (:mod:`frontend.levels`), the fbank geometry and features (:mod:`frontend.fbank`) and
the cutting of a recording into model-sized windows (:mod:`frontend.windows`). The dataset builder, the
trainer and the recogniser import it; it imports none of them, so training sees exactly what the app sees.
"""
