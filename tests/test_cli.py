"""The main job end to end, at toy size, and its command line."""

import json

import pytest

from ssl_keras import cli
from ssl_keras.experiments.pretrain import config_for, run_pretraining


def test_pretrain_writes_model_plots_and_metrics(tmp_path):
    out = tmp_path / "run"
    code = cli.main([
        "pretrain", "--out", str(out), "--epochs", "1", "--train-limit", "64",
        "--batch-size", "32", "--width", "4", "--probe-epochs", "2", "--verbose", "0",
        "--seed", "3", "--tsne-points", "60",
    ])
    assert code == 0
    metrics = json.loads((out / "metrics.json").read_text())
    for tag in ("simclr", "random_init"):
        for key in ("linear_probe_accuracy", "knn_accuracy"):
            assert 0.0 <= metrics[tag][key] <= 1.0
    assert metrics["dataset"] == "digits" and metrics["epochs"] == 1
    assert metrics["backend"] in ("jax", "tensorflow", "torch")
    assert metrics["wall_time_s"] > 0 and metrics["num_train"] == 64
    for name in ("simclr.keras", "encoder.keras", "history.json", "tsne_simclr.png",
                 "tsne_random_init.png", "similarity_matrix.png",
                 "similarity_histograms.png", "training_curves.png"):
        assert (out / name).stat().st_size > 0, name
    history = json.loads((out / "history.json").read_text())
    assert len(history) == 1 and "top1_accuracy" in history[0]


def test_cli_reports_bad_settings_clearly(tmp_path, capsys):
    code = cli.main(["pretrain", "--out", str(tmp_path), "--temperature", "0", "--epochs",
                     "1", "--train-limit", "32", "--verbose", "0"])
    assert code == 2
    assert "temperature" in capsys.readouterr().err


def test_cli_missing_cifar_folder_names_the_options(tmp_path, capsys):
    code = cli.main(["pretrain", "--dataset", "cifar10", "--data-dir", str(tmp_path / "none"),
                     "--out", str(tmp_path / "o")])
    assert code == 2
    assert "cifar-10-batches-py" in capsys.readouterr().err


def test_presets_and_overrides():
    config = config_for("cifar10", epochs=None, batch_size=64)
    assert config.epochs == 10 and config.batch_size == 64 and config.encoder == "small_cnn"
    with pytest.raises(ValueError, match="dataset"):
        config_for("mnist")
    with pytest.raises(ValueError, match="encoder"):
        run_pretraining(config_for("digits", encoder="vgg", out="/tmp/unused", epochs=1))


def test_pretrain_any_method(tmp_path):
    out = tmp_path / "vicreg"
    code = cli.main([
        "pretrain", "--method", "vicreg", "--out", str(out), "--epochs", "1",
        "--train-limit", "64", "--batch-size", "32", "--width", "4", "--probe-epochs", "1",
        "--verbose", "0", "--tsne-points", "40",
    ])
    assert code == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["method"] == "vicreg" and "simclr" not in metrics
    assert 0.0 <= metrics["vicreg"]["linear_probe_accuracy"] <= 1.0
    for name in ("vicreg.keras", "tsne_vicreg.png", "similarity_matrix.png",
                 "training_curves.png"):
        assert (out / name).stat().st_size > 0, name


def test_unknown_method_is_refused_before_any_work(tmp_path, capsys):
    with pytest.raises(SystemExit):
        cli.main(["pretrain", "--method", "swav", "--out", str(tmp_path)])
    assert "invalid choice: 'swav'" in capsys.readouterr().err
    with pytest.raises(ValueError, match="`method` should be one of 'simclr'"):
        config_for("digits", method="swav")


def test_the_command_line_offers_every_registered_method(capsys):
    from ssl_keras.models import METHODS

    for command in ("pretrain", "compare"):
        with pytest.raises(SystemExit):
            cli.main([command, "--help"])
        text = " ".join(capsys.readouterr().out.split())
        assert "{" + ",".join(METHODS) + "}" in text, command
