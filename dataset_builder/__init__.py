"""Stage 1: build the Pokémon cry dataset (Pokédex + cries → realistic variants → Hugging Face dataset)."""
