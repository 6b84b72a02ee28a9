"""Benchmarks write a new results file unless told (``--update``) to replace the committed one."""

from benchmarks.results_file import RESULTS, RUNS, results_file


def test_the_committed_file_is_replaced_only_with_update(tmp_path):
    committed = RESULTS / "app.json"
    assert results_file(committed, update=True) == committed
    fresh = results_file(committed)
    assert fresh.parent == RUNS and fresh.name.startswith("app-") and fresh.suffix == ".json"
    assert results_file(RESULTS / "cross_rendition" / "x.json").name.startswith("cross_rendition-x-")
    elsewhere = tmp_path / "mine" / "app.json"
    assert results_file(elsewhere) == elsewhere and elsewhere.parent.is_dir()
