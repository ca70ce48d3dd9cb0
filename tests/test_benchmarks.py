"""The course-scale benchmarks on a tiny fake CIFAR-10: results, and resuming a cut run."""

import importlib.util
import json
import pickle
from pathlib import Path

import numpy as np
import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
pytestmark = pytest.mark.slow


def _fake_cifar(folder: Path, per_class_train=8, per_class_test=4):
    """The official python layout, test images sorted by class like the course's copy."""
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)

    def batch(labels):
        # Class c is mostly colour channel c % 3, so features can tell classes apart.
        images = rng.integers(0, 60, (len(labels), 3, 32, 32), dtype=np.uint8)
        for index, label in enumerate(labels):
            images[index, label % 3] += np.uint8(40 + 15 * label)
        return {b"data": images.reshape(len(labels), -1), b"labels": list(map(int, labels))}

    train = rng.permutation(np.repeat(np.arange(10), per_class_train))
    for part, labels in enumerate(np.array_split(train, 5), start=1):
        (folder / f"data_batch_{part}").write_bytes(pickle.dumps(batch(labels)))
    (folder / "test_batch").write_bytes(
        pickle.dumps(batch(np.repeat(np.arange(10), per_class_test))))
    return folder


def _script(name):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def results_dir(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    import _common

    monkeypatch.setattr(_common, "RESULTS_DIR", tmp_path / "results")
    return tmp_path / "results"


def test_course_run_judges_three_encoders_and_resumes(tmp_path, results_dir):
    data = _fake_cifar(tmp_path / "cifar-10-batches-py")
    course = _script("course_accuracy")
    argv = ["--data-dir", str(data), "--epochs", "2", "--probe-epochs", "1",
            "--probe-min-steps", "3", "--knn-k", "5", "--tsne-points", "30", "--tag", "t",
            "--batch-size", "16", "--out", str(tmp_path / "run"), "--verbose", "0"]
    payload = course.main(argv)
    results = payload["results"]
    assert list(results) == ["simclr", "random_init", "supervised"]
    for metrics in results.values():
        labels = {fraction: probe["labels"] for fraction, probe in metrics["linear_probe"].items()}
        # 1% of 8 images a class rounds to 1 a class; 10% too; 100% is all 80.
        assert labels == {"0.01": 10, "0.1": 10, "1": 80}
        assert 0.0 <= metrics["knn"] <= 1.0
    assert len(payload["history"]["simclr"]) == 2 and len(payload["history"]["supervised"]) == 2
    assert "head_accuracy" in results["supervised"]
    for tag in results:
        assert (tmp_path / "run" / f"tsne_{tag}.png").stat().st_size > 0
    written = json.loads((results_dir / "course_accuracy_small_cnn_t_"
                          f"{payload['machine']['backend']}.json").read_text())
    assert written["results"] == json.loads(json.dumps(results))

    # A cut run: the partial results of one encoder gone, its weights kept.
    partial_path = tmp_path / "run" / "partial.json"
    partial = json.loads(partial_path.read_text())
    del partial["random_init"]
    partial_path.write_text(json.dumps(partial))
    again = course.main(argv)
    assert again["results"]["simclr"] == results["simclr"]  # not retrained nor re-judged
    assert again["results"]["random_init"]["knn"] == pytest.approx(results["random_init"]["knn"])

    with pytest.raises(SystemExit, match="other settings"):
        course.main([*argv[:-4], "--temperature", "0.3", "--out", str(tmp_path / "run")])


def test_course_run_cut_during_training_resumes_the_optimizer_and_schedule(
        tmp_path, results_dir, monkeypatch):
    """A run killed after SimCLR's first epoch (a session that ends) and started again
    continues at epoch 2 with the optimizer's state: the resumed optimizer ends on the
    same step count as an uncut run (a restarted schedule would end on half of it), and
    the history keeps both epochs."""
    from ssl_keras.experiments import pretrain

    data = _fake_cifar(tmp_path / "cifar-10-batches-py")
    course = _script("course_accuracy")
    real_train_simclr = pretrain.train_simclr
    finished = {}

    class CutAtEpoch2(Exception):
        pass

    cut = {"armed": True}

    def train_simclr(config, x_train, callbacks=None, **kwargs):
        import keras

        class Stop(keras.callbacks.Callback):
            def on_epoch_begin(self, epoch, logs=None):
                if cut["armed"] and epoch == 1:
                    raise CutAtEpoch2

        model, history = real_train_simclr(config, x_train, callbacks=[*callbacks, Stop()],
                                           **kwargs)
        finished[config.seed, str(callbacks[0].backup_dir)] = int(model.optimizer.iterations)
        return model, history

    monkeypatch.setattr(pretrain, "train_simclr", train_simclr)
    argv = ["--data-dir", str(data), "--epochs", "2", "--probe-epochs", "1",
            "--probe-min-steps", "3", "--knn-k", "5", "--tsne-points", "30", "--tag", "t",
            "--batch-size", "16", "--encoders", "simclr", "--verbose", "0"]
    cut_run = [*argv, "--out", str(tmp_path / "cut")]
    with pytest.raises(CutAtEpoch2):
        course.main(cut_run)
    assert not (tmp_path / "cut" / "partial.json").exists() or "simclr" not in json.loads(
        (tmp_path / "cut" / "partial.json").read_text())
    history = json.loads((tmp_path / "cut" / "history.json").read_text())
    assert [row["epoch"] for row in history["simclr"]] == [1]

    cut["armed"] = False
    resumed = course.main(cut_run)
    uncut = course.main([*argv, "--out", str(tmp_path / "uncut")])
    steps = {Path(folder).parent.name: value for (_, folder), value in finished.items()}
    assert steps["uncut"] > 0 and steps["cut"] == steps["uncut"]
    assert [row["epoch"] for row in resumed["history"]["simclr"]] == [1, 2]
    assert [row["epoch"] for row in uncut["history"]["simclr"]] == [1, 2]


def test_course_run_supervised_from_scratch_on_the_labelled_subsets(tmp_path, results_dir):
    """`supervised_scratch` trains a fresh network on the 1% and 10% subsets only, for the
    run's epochs (batch capped at the subset), and reports its head's test accuracy."""
    data = _fake_cifar(tmp_path / "cifar-10-batches-py")
    course = _script("course_accuracy")
    argv = ["--data-dir", str(data), "--epochs", "3", "--knn-k", "5", "--batch-size", "16",
            "--encoders", "supervised_scratch", "--out", str(tmp_path / "run"),
            "--scratch-min-steps", "5", "--verbose", "0"]
    payload = course.main(argv)
    scratch = payload["results"]["supervised_scratch"]["from_scratch"]
    assert set(scratch) == {"0.01", "0.1"}
    for row in scratch.values():
        # 1% and 10% of 8 images a class both round to 1 a class: 10 images, one batch a
        # step; 3 epochs are 3 steps, below the floor of 5: 5 epochs.
        assert row["labels"] == 10 and row["steps"] == 5 and row["epochs"] == 5
        assert 0.0 <= row["head_accuracy"] <= 1.0 and 0.0 <= row["train_accuracy"] <= 1.0
        # 40 test images: an accuracy is a multiple of 1/40.
        assert round(row["head_accuracy"] * 40, 6) == int(round(row["head_accuracy"] * 40))
    assert "linear_probe" not in payload["results"]["supervised_scratch"]
    partial = json.loads((tmp_path / "run" / "partial.json").read_text())
    assert "supervised_scratch_subsets" not in partial  # only while a run is cut
    # Kept in partial.json: a second run does not train it again.
    again = course.main(argv)
    assert again["results"] == payload["results"]


@pytest.mark.parametrize("flag", ["--epochs", "--probe-min-steps", "--scratch-min-steps"])
def test_course_run_rejects_a_count_below_one(flag, capsys):
    course = _script("course_accuracy")
    with pytest.raises(SystemExit):
        course.parse_args([flag, "0"])
    assert f"{flag} should be a positive integer, got 0" in capsys.readouterr().err
