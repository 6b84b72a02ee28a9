"""The dataset card's Hub-facing parts: no local paths, and a warning for a split without variants."""

import logging

from dataset_builder.card import public_command, public_url, variant_warnings


def test_local_paths_are_reduced_to_their_last_part():
    command = "python -m dataset_builder --source folder --folder '/home/me/my cries' --music-dir /data/music --ids 1-3"
    assert public_command(command) == "python -m dataset_builder --source folder --folder 'my cries' --music-dir music --ids 1-3"
    assert public_url("file:///home/me/cries/25.ogg") == "25.ogg" and public_url("/srv/x/1.wav") == "1.wav"
    assert public_url("https://raw.example.org/cries/25.ogg") == "https://raw.example.org/cries/25.ogg"


def test_a_split_with_clean_copies_only_is_flagged(caplog):
    counts = {"train": {"clean": 3, "augmented": 9, "capture": 9}, "validation": {"clean": 3, "augmented": 0, "capture": 0}}
    with caplog.at_level(logging.WARNING):
        warnings = variant_warnings(counts)
    assert len(warnings) == 1 and warnings[0].startswith("Split `validation` holds clean copies only")
    assert "split 'validation' got no variants" in caplog.text
    assert variant_warnings({"train": {"clean": 1, "capture": 1}}) == []
