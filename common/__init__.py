"""Small bottom-layer helpers every stage shares and none re-implements: files (atomic writes, the cache
folder) and the Hugging Face Hub (local-or-Hub sources, pushing a folder). Imports no stage."""
