"""End-to-end builds from a loopback PokeAPI: round trip, determinism, leak rules, cache, Hub push, bad input."""

from __future__ import annotations

import functools
import http.server
import json
import re
import socket
import threading
from pathlib import Path

import numpy as np
import pytest
import yaml

from dataset_builder import writer
from dataset_builder.build import BuildError, build
from dataset_builder.cli import main
from dataset_builder.config import BuildConfig, SourceConfig
from dataset_builder.schema import NAME_LANGUAGES, SPLITS, features, name_column
from tests.fake_sources import SPECIES, cry_audio, serve_pokeapi
from tests.synthetic import audio_bytes, fake_cry

THREE = SPECIES[:3]  # Bulbasaur, Charmander, Pikachu
VARIANTS = 4  # 2 train / 1 validation / 1 test, plus a clean copy in each split


def files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def configs(urls, out, cache, **build_kw) -> tuple[SourceConfig, BuildConfig]:
    source = SourceConfig(source="pokeapi", ids="1,4,25", renditions="latest,legacy", **urls)
    return source, BuildConfig(output=str(out), variants_per_cry=VARIANTS, seed=0, cache_dir=str(cache), **build_kw)


@pytest.fixture(scope="session")
def background_cache(tmp_path_factory) -> Path:
    """Simulated rooms and backgrounds depend only on the seed: simulate them once per session."""
    return tmp_path_factory.mktemp("backgrounds")


def fresh_cache(path: Path, background_cache: Path) -> Path:
    """A download cache of its own (tests reuse URLs with other contents), sharing the background cache."""
    path.mkdir(parents=True, exist_ok=True)
    if not (path / "backgrounds").exists():
        (path / "backgrounds").symlink_to(background_cache, target_is_directory=True)
    return path


@pytest.fixture
def cache(tmp_path, background_cache) -> Path:
    return fresh_cache(tmp_path / "cache", background_cache)


@pytest.fixture(scope="module")
def module_server():
    """A server of its own, so the per-test ``httpserver`` clean-ups do not touch it."""
    from pytest_httpserver import HTTPServer

    server = HTTPServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def first_build(module_server, tmp_path_factory, background_cache):
    """One build of 3 Pokémon × 2 renditions, shared by the tests that only read it."""
    urls = serve_pokeapi(module_server, THREE)
    root = tmp_path_factory.mktemp("build")
    result = build(*configs(urls, root / "a" / "cries", fresh_cache(root / "cache", background_cache)))
    return {"urls": urls, "root": root, "result": result, "requests": len(module_server.log), "server": module_server}


@pytest.fixture(scope="module")
def dataset(first_build, tmp_path_factory):
    from datasets import load_dataset

    return load_dataset(str(first_build["result"].output), cache_dir=str(tmp_path_factory.mktemp("hf")))


def test_load_dataset_round_trip(first_build, dataset):
    assert set(dataset) == set(SPLITS)
    assert dataset["train"].features == features(["Bulbasaur", "Charmander", "Pikachu"])
    per_original = {"train": 1 + 2, "validation": 1 + 1, "test": 1 + 1}
    assert {s: dataset[s].num_rows for s in SPLITS} == {s: 6 * n for s, n in per_original.items()}
    assert first_build["result"].counts == {
        s: {c: sum(r == c for r in dataset[s]["condition"]) for c in ("clean", "augmented", "capture")} for s in SPLITS}
    row = dataset["test"][0]
    audio = row["audio"]
    samples = np.asarray(audio["array"])
    assert audio["sampling_rate"] == 16_000 and samples.ndim == 1 and np.all(np.isfinite(samples))
    names = dataset["train"].features["label"].names
    for split in SPLITS:
        for r in dataset[split].remove_columns("audio"):
            assert names[r["label"]] == r["name_en"]
            assert all(r[name_column(lang)] for lang in NAME_LANGUAGES)
            assert r["types"] and r["generation"] == 1 and r["rendition"] in ("latest", "legacy")
            assert r["source_url"].endswith(f"/cries/pokemon/{r['rendition']}/{r['pokedex_id']}.ogg")
            assert r["sprite_url"].endswith(f"/animated/{r['pokedex_id']}.gif")
            mixed = r["background_kind"] != "none"
            assert (r["snr_db"] is not None) == mixed and bool(r["background_id"]) == mixed
            if r["condition"] == "clean":
                assert not mixed
            if r["condition"] == "capture":
                assert mixed  # the sound before and after the cry
            assert "stream" in json.loads(r["recipe"])
    bulba = dataset["train"].remove_columns("audio").filter(lambda r: r["pokedex_id"] == 1)[0]
    assert (bulba["name_fr"], bulba["name_ja"], bulba["name_zh_Hans"], bulba["types"]) == ("Bulbizarre", "フシギダネ", "妙蛙种子", ["grass", "poison"])


def test_rows_are_sorted_and_every_variant_is_audible(dataset):
    for split in SPLITS:
        keys = [(r["pokedex_id"], r["rendition"], json.loads(r["recipe"])["stream"][-1]) for r in dataset[split].remove_columns("audio")]
        assert keys == sorted(keys)
    for r in dataset["validation"]:
        samples = np.asarray(r["audio"]["array"])
        assert np.sqrt(np.mean(samples**2)) > 1e-3


def test_leak_rules_hold_in_the_built_dataset(dataset):
    def used(split, key):
        out = set()
        for r in dataset[split].remove_columns("audio"):
            recipe = json.loads(r["recipe"])
            if key == "background" and r["condition"] != "clean" and r["background_id"]:
                out.add(r["background_id"])
            elif key == "room":
                out |= set(re.findall(r'"room": "([^"]+)"', json.dumps(recipe)))
            elif key == "stream":
                out.add(tuple(recipe["stream"]))
        return out

    for key in ("background", "room", "stream"):
        train = used("train", key)
        for other in ("validation", "test"):
            assert not train & used(other, key), f"{key} shared between train and {other}"
    assert used("test", "background"), "test variants should draw backgrounds (from the test pool)"


def test_card_says_how_it_was_built(first_build):
    out = first_build["result"].output
    text = (out / "README.md").read_text()
    meta = yaml.safe_load(text.split("---")[1])
    assert meta["configs"][0]["data_files"] == [{"split": s, "path": f"data/{s}-*"} for s in SPLITS]
    assert "audio-classification" in meta["task_categories"] and "who_tf_screamin" in meta["tags"]
    assert "© The Pokémon Company" in text and "distributes them" in text
    assert "2 in train, 1 in validation, 1 in test" in text and "--variants-per-cry 4" in text
    assert "| train |" in text and "load_from_disk" in text
    assert sorted(files(out)) == sorted(["README.md"] + [f"data/{s}-00000-of-00001.parquet" for s in SPLITS])
    # Hub norms: real sizes, a license with a link and attribution, no local paths.
    import pyarrow.parquet as pq

    info = meta["dataset_info"]
    for split in info["splits"]:
        parquet = pq.ParquetFile(out / "data" / f"{split['name']}-00000-of-00001.parquet").metadata
        assert split["num_bytes"] == sum(parquet.row_group(i).total_byte_size for i in range(parquet.num_row_groups)) > 0
    assert info["dataset_size"] == sum(s["num_bytes"] for s in info["splits"])
    assert info["download_size"] == sum((out / f).stat().st_size for f in files(out) if f.endswith(".parquet"))
    assert meta["license"] == "other" and meta["license_link"].startswith("https://") and meta["license_name"]
    assert "## License and attribution" in text and "[PokeAPI/cries](https://github.com/PokeAPI/cries)" in text
    assert "file://" not in text and str(first_build["root"]) not in text


def test_same_seed_is_byte_identical_across_process_counts_and_the_rerun_downloads_nothing(first_build):
    server = first_build["server"]
    before = len(server.log)
    assert before == first_build["requests"] and first_build["result"].http_requests == before
    source, config = configs(first_build["urls"], first_build["root"] / "b" / "cries", first_build["root"] / "cache", num_proc=2)
    result = build(source, config)
    assert len(server.log) == before and result.http_requests == 0
    assert files(result.output) == files(first_build["result"].output)


def crash_after_rows(monkeypatch, n: int) -> None:
    """Make the parquet writer fail with a full disk after ``n`` rows, mid-build."""
    original, written = writer.SplitWriter.write, []

    def write(self, row):
        written.append(1)
        if len(written) > n:
            raise OSError("disk full")
        original(self, row)

    monkeypatch.setattr(writer.SplitWriter, "write", write)


def test_rebuild_replaces_a_previous_build_and_a_failed_build_leaves_it_intact(first_build, monkeypatch, tmp_path):
    import shutil

    target = tmp_path / "cries"
    shutil.copytree(first_build["result"].output, target)
    before = files(target)

    crash_after_rows(monkeypatch, 10)
    with pytest.raises(OSError, match="disk full"):
        build(*configs(first_build["urls"], target, first_build["root"] / "cache"))
    assert files(target) == before
    assert [p.name for p in tmp_path.iterdir()] == ["cries"], "no temporary folder may be left"


def test_failed_first_build_leaves_nothing(httpserver, tmp_path, monkeypatch, cache):
    urls = serve_pokeapi(httpserver, THREE)
    crash_after_rows(monkeypatch, 30)
    with pytest.raises(OSError, match="disk full"):
        build(*configs(urls, tmp_path / "out", cache))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache"]


def test_split_writer_shards_and_load_dataset_reads_every_shard(tmp_path):
    from datasets import load_dataset

    from frontend.audio import encode_wav

    feats = features(["A", "B"])
    split_writer = writer.SplitWriter(feats, tmp_path / "ds", "train", max_shard_bytes=200_000)
    for i in range(250):
        row = {name_column(lang): f"n{i}" for lang in NAME_LANGUAGES}
        row.update(audio={"bytes": encode_wav(fake_cry(i % 2, 0.2)), "path": f"{i}.wav"}, label=i % 2, pokedex_id=i,
                   types=["normal"], generation=1, rendition="latest", condition="clean", background_kind="none",
                   background_id="", snr_db=None, recipe="{}", source_url="u", sprite_url="s")
        split_writer.write(row)
    paths = split_writer.close()
    assert len(paths) == 3 and [p.name for p in paths] == [f"train-{i:05d}-of-00003.parquet" for i in range(3)]
    assert sorted(p.name for p in (tmp_path / "ds" / "data").iterdir()) == [p.name for p in paths]
    ds = load_dataset("parquet", data_files=[str(p) for p in paths], split="train", cache_dir=str(tmp_path / "hf"))
    assert ds.features == feats and ds["pokedex_id"] == list(range(250))
    assert np.asarray(ds[7]["audio"]["array"]).size == 3200


# --- bad input ---------------------------------------------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_cli(capsys, *args) -> tuple[int, str]:
    code = main(list(args))
    return code, capsys.readouterr().err


def test_cli_unknown_source_generation_and_ids(capsys, tmp_path):
    base = ["--output", str(tmp_path / "o"), "--cache-dir", str(tmp_path / "c")]
    code, err = run_cli(capsys, "--source", "bulbapedia", *base)
    assert code == 1 and "unknown source 'bulbapedia'; expected one of folder, pokeapi, pokebip" in err
    code, err = run_cli(capsys, "--generations", "1,12", *base)
    assert code == 1 and "unknown generation(s) [12]" in err
    code, err = run_cli(capsys, "--ids", "151-1", *base)
    assert code == 1 and "'151-1' is not a valid range" in err
    assert not (tmp_path / "o").exists()


def test_ids_beyond_the_source(httpserver, tmp_path, capsys):
    urls = serve_pokeapi(httpserver, THREE, renditions=())
    code, err = run_cli(capsys, "--pokeapi-url", urls["pokeapi_url"], "--ids", "1-3", "--output", str(tmp_path / "o"),
                        "--cache-dir", str(tmp_path / "c"))
    assert code == 1 and "no species with id(s) 2, 3 in this source" in err


def test_unreachable_host(tmp_path):
    dead = f"http://127.0.0.1:{_closed_port()}"
    source = SourceConfig(pokeapi_url=dead + "/pokeapi", cries_url=dead + "/cries", ids="1")
    with pytest.raises(BuildError, match=r"cannot read the Pokédex.*pokemon_species\.csv: cannot connect to 127\.0\.0\.1"):
        build(source, BuildConfig(output=str(tmp_path / "o"), cache_dir=str(tmp_path / "c"), http_retries=1))
    assert not (tmp_path / "o").exists()


def test_404_corrupt_empty_and_silent_cries_are_listed_and_downloads_are_kept(httpserver, tmp_path):
    overrides = {
        "legacy/1.ogg": 404,
        "legacy/4.ogg": b"this is not an ogg file",
        "legacy/25.ogg": b"",
        "latest/25.ogg": audio_bytes(np.zeros(16_000, dtype=np.float32), fmt="ogg"),
    }
    urls = serve_pokeapi(httpserver, THREE, overrides=overrides)
    source, config = configs(urls, tmp_path / "o", tmp_path / "cache")
    with pytest.raises(BuildError) as err:
        build(source, config)
    text = str(err.value)
    assert "4 of 6 cries could not be used" in text and "--allow-missing" in text
    assert re.search(r"legacy/1\.ogg: HTTP 404", text)
    assert re.search(r"legacy/4\.ogg: could not decode", text)
    assert re.search(r"legacy/25\.ogg: the file is empty", text)
    assert re.search(r"latest/25\.ogg: silent", text)
    assert not (tmp_path / "o").exists()
    cached = [p.name for p in (tmp_path / "cache" / "http").rglob("*.ogg")]
    assert sorted(cached) == ["1.ogg", "25.ogg", "25.ogg", "4.ogg", "4.ogg"], "what downloaded must stay cached"


def test_allow_missing_builds_without_the_missing_cry_and_pushes_to_a_loopback_hub(httpserver, tmp_path, capsys, monkeypatch, cache):
    import huggingface_hub.constants

    hub = FakeHub(httpserver)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setenv("HF_ENDPOINT", httpserver.url_for("/hub").rstrip("/"))
    monkeypatch.setenv("HF_TOKEN", "hf_loopback")
    urls = serve_pokeapi(httpserver, THREE[:2], overrides={"legacy/4.ogg": 404})
    out = tmp_path / "o"
    code = main([
        "--source", "pokeapi", "--pokeapi-url", urls["pokeapi_url"], "--cries-url", urls["cries_url"],
        "--sprites-url", urls["sprites_url"], "--ids", "1,4", "--renditions", "latest,legacy",
        "--variants-per-cry", "1", "--seed", "0", "--output", str(out), "--cache-dir", str(cache),
        "--allow-missing", "--holdout-rendition", "legacy", "--push-to-hub", "me/cries",
    ])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "pushed:" in captured.out
    text = (out / "README.md").read_text()
    assert "legacy/4.ogg: HTTP 404" in text and "`legacy` is held out" in text
    import pyarrow.parquet as pq

    tables = {s: pq.read_table(next((out / "data").glob(f"{s}-*.parquet"))).to_pydict() for s in SPLITS}
    assert ("legacy", 4) not in {(r, i) for s in SPLITS for r, i in zip(tables[s]["rendition"], tables[s]["pokedex_id"], strict=True)}
    assert {r for s in ("train", "validation") for r in tables[s]["rendition"]} == {"latest"}
    assert tables["test"]["rendition"].count("legacy") == 1 + 1  # Bulbasaur's legacy: clean + its one variant
    # The Hub received exactly the local files.
    assert hub.created == [{"name": "cries", "organization": "me", "type": "dataset"}]
    assert hub.uploaded == files(out)


def test_unwritable_output_fails_before_any_download(httpserver, tmp_path):
    (tmp_path / "file").write_text("x")
    urls = serve_pokeapi(httpserver, THREE)
    with pytest.raises(writer.OutputError, match="cannot write there.*expected a writable folder"):
        build(*configs(urls, tmp_path / "file" / "out", tmp_path / "c"))
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("precious")
    with pytest.raises(writer.OutputError, match="not empty and is not a dataset built by this tool"):
        build(*configs(urls, tmp_path / "mine", tmp_path / "c"))
    assert (tmp_path / "mine" / "thesis.tex").read_text() == "precious"
    assert len(httpserver.log) == 0


def test_empty_music_folder(httpserver, tmp_path):
    urls = serve_pokeapi(httpserver, THREE)
    (tmp_path / "music").mkdir()
    (tmp_path / "music" / "readme.txt").write_text("no music here")
    from dataset_builder.backgrounds import BackgroundError

    with pytest.raises(BackgroundError, match=r"--music-dir .*music: no audio files"):
        build(*configs(urls, tmp_path / "o", tmp_path / "c", music_dir=str(tmp_path / "music")))
    assert not (tmp_path / "o").exists()


def test_holdout_needs_another_rendition(httpserver, tmp_path):
    urls = serve_pokeapi(httpserver, THREE, renditions=())
    source = SourceConfig(ids="1", renditions="legacy", **urls)
    with pytest.raises(ValueError, match="needs another rendition for train"):
        build(source, BuildConfig(output=str(tmp_path / "o"), cache_dir=str(tmp_path / "c"), holdout_rendition="legacy"))
    with pytest.raises(ValueError, match="not among the selected renditions"):
        build(SourceConfig(ids="1", renditions="latest", **urls),
              BuildConfig(output=str(tmp_path / "o"), cache_dir=str(tmp_path / "c"), holdout_rendition="legacy"))



def test_snr_flags_bound_every_background_mix_and_a_train_only_supplement_has_clean_copies_elsewhere(first_build, tmp_path, background_cache):
    """The low-SNR supplement of the default recipe: train-only captures with the background at -2..2 dB."""
    from datasets import load_dataset

    source, config = configs(first_build["urls"], tmp_path / "lowsnr", fresh_cache(tmp_path / "cache", background_cache),
                             min_snr_db=-2.0, max_snr_db=2.0, validation_fraction=0.0, test_fraction=0.0, capture_fraction=1.0)
    config.seed = 1
    result = build(source, config)
    ds = load_dataset(str(result.output), cache_dir=str(tmp_path / "hf"))
    train = ds["train"].remove_columns("audio")
    assert list(train["condition"]).count("capture") == 6 * VARIANTS and list(train["condition"]).count("clean") == 6
    snrs = [r["snr_db"] for r in train if r["condition"] == "capture"]
    assert snrs and all(-2.0 <= v <= 2.0 for v in snrs) and max(snrs) - min(snrs) > 0.5
    assert {s: set(ds[s]["condition"]) for s in ("validation", "test")} == {"validation": {"clean"}, "test": {"clean"}}
    assert "--min-snr-db -2.0 --max-snr-db 2.0" in (result.output / "README.md").read_text()


def test_snr_flags_out_of_order_or_range(capsys, tmp_path):
    base = ["--output", str(tmp_path / "o"), "--cache-dir", str(tmp_path / "c")]
    code, err = run_cli(capsys, "--min-snr-db", "10", "--max-snr-db", "0", *base)
    assert code == 2 and "--min-snr-db 10.0 / --max-snr-db 0.0: expected -30 <= min <= max <= 80 (dB)" in err
    code, err = run_cli(capsys, "--max-snr-db", "120", *base)
    assert code == 2 and "expected -30 <= min <= max <= 80" in err
    assert not (tmp_path / "o").exists()

# --- a loopback stand-in for the Hub's upload API ------------------------------------------------------------


class FakeHub:
    """Answers the endpoints ``HfApi.create_repo`` and ``upload_folder`` call, and records what was committed."""

    def __init__(self, httpserver):
        from werkzeug import Response

        self.created, self.uploaded = [], {}
        base = httpserver.url_for("/hub").rstrip("/")

        def handle(request):
            path = request.path.removeprefix("/hub")
            if path == "/api/repos/create":
                body = request.get_json()
                self.created.append({k: body[k] for k in ("name", "organization", "type")})
                return Response(json.dumps({"url": f"{base}/datasets/me/cries"}), content_type="application/json")
            if path.endswith("/preupload/main"):
                files_ = [{"path": f["path"], "uploadMode": "regular", "shouldIgnore": False} for f in request.get_json()["files"]]
                return Response(json.dumps({"files": files_}), content_type="application/json")
            if path.endswith("/commit/main"):
                import base64

                for line in request.get_data().splitlines():
                    op = json.loads(line)
                    if op["key"] == "file":
                        self.uploaded[op["value"]["path"]] = base64.b64decode(op["value"]["content"])
                return Response(json.dumps({"commitUrl": f"{base}/datasets/me/cries/commit/1", "commitOid": "1" * 40}),
                                content_type="application/json")
            if "/tree/" in path:
                return Response("[]", content_type="application/json")
            if path == "/api/validate-yaml":
                return Response("{}", content_type="application/json")
            return Response("{}", status=404, content_type="application/json")

        httpserver.expect_request(re.compile(r"^/hub/.*")).respond_with_handler(handle)


# --- real data ---------------------------------------------------------------------------------------------


@pytest.mark.shared
def test_build_real_pokemon_from_shared(shared_pokeapi, tmp_path, cache):
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(shared_pokeapi)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        source = SourceConfig(pokeapi_url=f"{base}/pokeapi", cries_url=f"{base}/cries", sprites_url=f"{base}/sprites",
                              ids="25,54,55", renditions="latest,legacy")
        result = build(source, BuildConfig(output=str(tmp_path / "o"), variants_per_cry=2, cache_dir=str(cache)))
    finally:
        server.shutdown()
    from datasets import load_dataset

    ds = load_dataset(str(result.output), cache_dir=str(tmp_path / "hf"))
    assert ds["train"].features["label"].names == ["Pikachu", "Psyduck", "Golduck"]
    row = ds["train"].remove_columns("audio")[0]
    assert (row["name_fr"], row["name_ja"], row["types"]) == ("Pikachu", "ピカチュウ", ["electric"])
    assert {s: ds[s].num_rows for s in SPLITS} == {"train": 6 * 3, "validation": 6, "test": 6}


def test_a_no_cry_class_holds_captures_of_each_splits_own_background_sounds(first_build, tmp_path, background_cache):
    """--no-cry-variants: the last label, captures only, sources from the split's own pool, same seed -> same bytes."""
    from datasets import load_dataset

    from common.species import NO_CRY_LABEL

    def build_no_cry(out):
        source, config = configs(first_build["urls"], out, fresh_cache(tmp_path / "cache", background_cache),
                                 no_cry_variants=10)
        return build(source, config)

    result = build_no_cry(tmp_path / "a")
    ds = load_dataset(str(result.output), cache_dir=str(tmp_path / "hf"))
    names = ds["train"].features["label"].names
    assert names[-1] == NO_CRY_LABEL and len(names) == 4
    counts = {}
    for split in SPLITS:
        rows = [r for r in ds[split].remove_columns("audio") if r["label"] == len(names) - 1]
        counts[split] = len(rows)
        assert {r["condition"] for r in rows} == {"capture"} and {r["pokedex_id"] for r in rows} == {0}
        for r in rows:
            steps = json.loads(r["recipe"])["transforms"]
            assert steps[0]["name"] == "no_cry_source" and steps[0]["kind"] in ("chiptune", "noise", "babble")
            assert f"/{split}-" in steps[0]["id"]  # a procedural recording of this split's pool only
            assert r["background_id"] and f"/{split}-" in r["background_id"]
        audio = [np.asarray(r["audio"]["array"]) for r in ds[split] if r["label"] == len(names) - 1]
        assert all(20 * np.log10(np.sqrt(np.mean(a**2)) + 1e-12) > -60 for a in audio)
    assert counts == {"train": 6, "validation": 2, "test": 2}  # 10 x 0.15 rounds to 2
    # the species' rows are those of the build without the class
    species_rows = [r for r in ds["test"].remove_columns("audio") if r["label"] < 3]
    assert len(species_rows) == 6 * (1 + 1)
    assert "`no_cry` class holds 10 recordings" in (result.output / "README.md").read_text()
    assert files(build_no_cry(tmp_path / "b").output) == files(result.output)


def test_forms_add_their_own_cries_to_their_species_and_skip_copies_and_absent_files(httpserver, tmp_path, cache):
    """--forms: a form with a cry of its own gives more rows of its species (own random streams); a form whose file
    is its species' cry, or that has no file (404), adds nothing; without --forms no form is fetched."""
    from datasets import load_dataset

    pikachu = next(s for s in THREE if s.pokedex_id == 25)
    own = audio_bytes(fake_cry(40, 0.9, sample_rate=22_050, seed=40), 22_050, "ogg")
    forms = {10100: 25, 10101: 25, 10102: 4}
    overrides = {"latest/10100.ogg": own, "latest/10101.ogg": cry_audio(pikachu, "latest"), "latest/10102.ogg": 404}
    urls = serve_pokeapi(httpserver, THREE, overrides=overrides, forms=forms)
    source, config = configs(urls, tmp_path / "forms", cache)
    source.forms = True
    result = build(source, config)
    ds = load_dataset(str(result.output), cache_dir=str(tmp_path / "hf"))
    test = ds["test"]
    assert test.features["label"].names == ["Bulbasaur", "Charmander", "Pikachu"], "a form is not a class of its own"
    urls_by_species = {}
    for row in test.select_columns(["pokedex_id", "source_url"]):
        urls_by_species.setdefault(row["pokedex_id"], set()).add(row["source_url"].rsplit("/cries/pokemon/", 1)[1])
    assert urls_by_species[25] == {"latest/25.ogg", "legacy/25.ogg", "latest/10100.ogg"}
    assert urls_by_species[4] == {"latest/4.ogg", "legacy/4.ogg"}
    assert sum(result.counts["test"].values()) == 7 * (1 + 1), "7 originals, a clean copy and 1 variant each in test"
    form_rows = [r for r in ds["train"] if r["source_url"].endswith("/10100.ogg")]
    own_rows = [r for r in ds["train"] if r["source_url"].endswith("latest/25.ogg")]
    assert len(form_rows) == len(own_rows) == 3 and all(r["label"] == 2 for r in form_rows)
    streams = {json.loads(r["recipe"])["stream"][2] for r in form_rows}
    assert streams == {10100}, "a form's variants draw from streams of its own"
    card = (result.output / "README.md").read_text()
    assert "plus 1 cry of an alternate form" in card and "--forms" in card

    source.forms = False
    plain = build(source, BuildConfig(output=str(tmp_path / "plain"), variants_per_cry=VARIANTS, seed=0, cache_dir=str(cache)))
    assert sum(plain.counts["test"].values()) == 6 * 2


def test_forms_need_a_source_that_has_them(tmp_path):
    folder = tmp_path / "cries"
    folder.mkdir()
    (folder / "25.wav").write_bytes(audio_bytes(fake_cry(25, 1.0), 16_000, "wav"))
    with pytest.raises(ValueError, match="--forms: source folder knows no alternate forms"):
        build(SourceConfig(source="folder", folder=str(folder), forms=True),
              BuildConfig(output=str(tmp_path / "o"), variants_per_cry=VARIANTS, cache_dir=str(tmp_path / "cache")))


def test_measured_speakers_and_compressor_reference_reach_the_captures_and_the_card(first_build, tmp_path, background_cache):
    """``--measured-speakers`` / ``--compressor-reference``: in each capture's recipe and on the card."""
    import soundfile as sf
    from datasets import load_dataset
    from scipy import signal as sps

    amps = tmp_path / "real-parts" / "amps"
    amps.mkdir(parents=True)
    sf.write(amps / "cab.wav", sps.firwin(127, 1500, fs=16_000).astype(np.float32), 16_000)
    source, config = configs(first_build["urls"], tmp_path / "measured", fresh_cache(tmp_path / "cache", background_cache),
                             measured_speakers=str(amps), measured_speaker_probability=1.0, capture_fraction=1.0,
                             compressor_reference="peak")
    result = build(source, config)
    train = load_dataset(str(result.output), cache_dir=str(tmp_path / "hf"))["train"].remove_columns("audio")
    recipes = [json.loads(r["recipe"]) for r in train if r["condition"] == "capture"]
    speakers = [next(s for s in r["transforms"] if s["name"] == "measured_loudspeaker") for r in recipes]
    assert recipes and all(s["applied"] and s["file"] == "cab.wav" for s in speakers)
    compressors = [next(s for s in r["transforms"] if s["name"] == "compressor") for r in recipes]
    assert all(s["threshold_reference"] == "peak" for s in compressors)
    card = (result.output / "README.md").read_text()
    assert "- Compressor: thresholds (-40 to -10 dB) re each capture's own peak" in card
    assert "- Measured loudspeakers: 1 measured impulse responses (`amps`" in card and "100% of the captures" in card
    assert "--measured-speakers amps" in card and str(tmp_path) not in card
