"""The evaluation report, one module per concern.

- :mod:`.scoring`: metrics (scikit-learn) and the groups a report splits clips into;
- :mod:`.clips`: logits of pre-cut dataset clips (the trainer's view);
- :mod:`.report` / :mod:`.markdown` / :mod:`.plots`: the files of a split's report;
- :mod:`.recordings`: whole recordings through the app's recogniser (what ``/predict`` answers);
- :mod:`.heldout_set`: the held-out simulator's captures of reference cries, scored like recordings;
- :mod:`.window_logits`: the recogniser's window logits, and its answer replayed under any calibration;
- :mod:`.heldout_calibration`: temperature and threshold fitted on held-out-simulator validation captures.

The command line is ``python -m trainer.evaluate`` (:mod:`trainer.evaluate`).
"""
