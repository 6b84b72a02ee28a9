"""The exploration notebook runs headless on synthetic audio, so it never rots."""

from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "explore_cries.ipynb"


def test_explore_cries_notebook_executes_on_synthetic_audio(monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    monkeypatch.setenv("WHO_NOTEBOOK_SYNTHETIC", "1")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOK.parent)}})
    client.execute()  # raises CellExecutionError with the failing cell's traceback
    text = "".join(o.get("text", "") for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs)
    assert "synthetic cries" in text
    images = sum("image/png" in o.get("data", {}) for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs)
    assert images >= 8  # every family, the backgrounds, the pitch comparison, the chain, the random variants


def test_committed_notebook_has_outputs_and_stays_small():
    nbformat = pytest.importorskip("nbformat")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    plotting = [c for c in nb.cells if c.cell_type == "code" and any(line.startswith("show(") for line in c.source.splitlines())]
    assert plotting and all(cell.outputs for cell in plotting), "commit the notebook executed (with outputs)"
    assert NOTEBOOK.stat().st_size < 3_000_000
