"""`compare_methods` / `ssl-keras compare`: one table, same budget, resumable."""

import json

import pytest

from ssl_keras import cli
from ssl_keras.experiments import method_comparison
from ssl_keras.experiments.method_comparison import compare_methods, format_method_table
from ssl_keras.experiments.pretrain import config_for

TINY = dict(epochs=1, train_limit=64, batch_size=32, width=4, probe_epochs=1, verbose=0,
            tsne_points=40, seed=5)


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """One comparison run through the command line: random init and SimSiam."""
    out = tmp_path_factory.mktemp("compare")
    code = cli.main(["compare", "--methods", "simsiam", "--out", str(out),
                     *[f"--{key.replace('_', '-')}={value}" for key, value in TINY.items()]])
    assert code == 0
    return out


def test_compare_writes_one_table(finished):
    record = json.loads((finished / "comparison.json").read_text())
    assert record["order"] == ["random_init", "simsiam"]
    results = record["results"]
    for name, metrics in results.items():
        assert 0.0 <= metrics["linear_probe_accuracy"] <= 1.0
        assert 0.0 <= metrics["knn_accuracy"] <= 1.0
        assert metrics["epochs"] == (0 if name == "random_init" else 1)
        assert (finished / f"tsne_{name}.png").stat().st_size > 0
    assert results["random_init"]["train_time_s"] < results["simsiam"]["train_time_s"]
    assert record["settings"]["epochs"] == 1 and record["settings"]["train_limit"] == 64
    table = (finished / "comparison.md").read_text().splitlines()
    assert [line.split(" | ")[0].strip("| ") for line in table[2:]] == record["order"]
    assert (finished / "comparison.png").stat().st_size > 0


def test_the_same_command_again_trains_nothing(finished, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a finished method was trained again")

    monkeypatch.setattr(method_comparison, "train_method", refuse)
    record = json.loads((finished / "comparison.json").read_text())
    again = compare_methods(config_for("digits", out=str(finished), **TINY), ["simsiam"])
    assert again["results"] == record["results"]


def test_resume_refuses_other_settings(finished):
    other = config_for("digits", out=str(finished), **{**TINY, "epochs": 2})
    with pytest.raises(ValueError, match="holds a comparison with other settings"):
        compare_methods(other, ["simsiam"])


def test_unknown_methods_are_refused(tmp_path):
    config = config_for("digits", out=str(tmp_path), **TINY)
    with pytest.raises(ValueError, match="`method` should be one of"):
        compare_methods(config, ["simclr", "swav"])
    with pytest.raises(ValueError, match="at least one method"):
        compare_methods(config, [])


def test_table_format():
    table = format_method_table({
        "random_init": {"linear_probe_accuracy": 0.5, "knn_accuracy": 0.25,
                        "train_time_s": 0.0},
        "byol": {"linear_probe_accuracy": 0.875, "knn_accuracy": 0.8125,
                 "train_time_s": 61.4},
    })
    assert table.splitlines()[2:] == ["| random_init | 50.0% | 25.0% | 0 s |",
                                      "| byol | 87.5% | 81.2% | 61 s |"]
