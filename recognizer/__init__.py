"""Inference: load a trained model folder, find the cry in a recording, name the Pokémon, say when unsure."""
