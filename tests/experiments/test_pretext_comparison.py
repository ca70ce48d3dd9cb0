"""The comparison of pretext tasks: plumbing on tiny data, the table, the plot, errors."""

import numpy as np
import pytest

from ssl_keras.experiments.pretext_comparison import (
    METHODS,
    compare_pretext_tasks,
    format_comparison_table,
    plot_comparison,
)
from ssl_keras.pretext import PretextTask
from tests.pretext.helpers import tiny_images, toy_encoder

METRIC_KEYS = {
    "linear_probe_accuracy",
    "linear_probe_train_accuracy",
    "knn_accuracy",
    "pretext_metric",
    "pretext_value",
    "epochs",
    "train_time_s",
}


def _tiny_dataset():
    images = tiny_images(16)
    labels = np.arange(16) % 2
    return (images, labels), (images[:8], labels[:8])


def _compare(methods):
    return compare_pretext_tasks(
        _tiny_dataset(), epochs=1, methods=methods, probe_epochs=1, batch_size=16, width=4,
        seed=0, verbose=0, encoder_builder=toy_encoder,
    )


def _check_results(results, methods, epochs=1):
    assert list(results) == list(methods)
    for method, metrics in results.items():
        assert set(metrics) == METRIC_KEYS
        for key in ("linear_probe_accuracy", "linear_probe_train_accuracy", "knn_accuracy"):
            assert 0.0 <= metrics[key] <= 1.0
        if method == "random_init":
            assert metrics["pretext_value"] is None and metrics["epochs"] == 0
        else:
            assert np.isfinite(metrics["pretext_value"]) and metrics["epochs"] == epochs


def test_runs_on_tiny_data():
    methods = ("random_init", "jigsaw")
    _check_results(_compare(methods), methods)


def test_on_trained_gets_each_trained_encoder():
    seen = []
    methods = ("random_init", "jigsaw")
    compare_pretext_tasks(
        _tiny_dataset(), epochs=1, methods=methods, probe_epochs=1, batch_size=16, width=4,
        seed=0, verbose=0, encoder_builder=toy_encoder,
        on_trained=lambda method, encoder: seen.append(
            (method, [np.array(w) for w in encoder.get_weights()])),
    )
    assert [method for method, _ in seen] == list(methods)
    # Both encoders start from the same weights (same seed): only training changes them.
    untrained, trained = seen[0][1], seen[1][1]
    assert len(untrained) == len(trained)
    assert any(not np.allclose(a, b) for a, b in zip(untrained, trained))


class _Recorder:
    """A flip task that records what its batch function was given."""

    def __init__(self):
        self.calls = []

    def __call__(self, images, seed):
        self.calls.append((np.array(images), seed))
        flipped = np.random.default_rng(seed).integers(0, 2, size=len(images))
        return np.where(flipped[:, None, None, None] == 1, images[:, :, ::-1], images), flipped


def test_a_custom_task_gets_its_row_and_the_same_budget(monkeypatch):
    from ssl_keras.experiments import pretext_comparison

    recorder = _Recorder()
    jigsaw_batches = []
    jigsaw_dataset = pretext_comparison.jigsaw_dataset

    def counted_jigsaw(images, seed=None):
        jigsaw_batches.append(len(images))
        return jigsaw_dataset(images, seed=seed)

    monkeypatch.setattr(pretext_comparison, "jigsaw_dataset", counted_jigsaw)
    (images, labels), test = _tiny_dataset()
    dataset = ((np.concatenate([images, images]), np.concatenate([labels, labels])), test)
    seen = []
    results = compare_pretext_tasks(
        dataset, epochs=2, methods=("random_init", "flip", "jigsaw"), probe_epochs=1,
        batch_size=16, width=4, seed=0, verbose=0, encoder_builder=toy_encoder,
        custom_tasks=[PretextTask("flip", recorder, num_classes=2)],
        on_trained=lambda method, encoder: seen.append(method),
    )
    _check_results(results, ("random_init", "flip", "jigsaw"), epochs=2)
    assert seen == ["random_init", "flip", "jigsaw"]
    assert results["flip"]["pretext_metric"] == "pretext accuracy"
    assert "| flip |" in format_comparison_table(results)
    # The built-in tasks' budget: as many batches of 16 images as jigsaw (2 epochs of
    # 32 / 16 batches, and whatever Keras reads ahead), a new seed for each, and the batch
    # function sees training images only, never their labels.
    sizes = [len(batch) for batch, _ in recorder.calls]
    assert sizes == jigsaw_batches and len(sizes) >= 2 * 2 and set(sizes) == {16}
    seeds = [seed for _, seed in recorder.calls]
    assert len(set(seeds)) == len(seeds) and all(isinstance(seed, int) for seed in seeds)
    rows = {image.tobytes() for image in dataset[0][0]}
    assert all(image.tobytes() in rows for batch, _ in recorder.calls for image in batch)


def test_a_regression_task_reports_its_mse_and_comes_after_the_named_methods():
    def corner(images, seed):
        inputs = np.array(images)
        inputs[:, :2, :2] = 0
        return inputs, (np.asarray(images)[:, :2, :2] / 255.0).astype("float32")

    results = compare_pretext_tasks(
        _tiny_dataset(), epochs=1, methods=("random_init",), probe_epochs=1, batch_size=16,
        width=4, seed=0, verbose=0, encoder_builder=toy_encoder,
        custom_tasks=PretextTask("corner", corner, target_shape=(2, 2, 3)),
    )
    _check_results(results, ("random_init", "corner"))
    assert results["corner"]["pretext_metric"] == "pretext MSE"
    line = format_comparison_table(results).splitlines()[3]
    assert line.startswith("| corner |") and "pretext MSE 0." in line


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(custom_tasks=["flip"]), "PretextTask"),
        (dict(custom_tasks=[PretextTask("rotation", _Recorder(), num_classes=2)]),
         "name of its own"),
        (dict(custom_tasks=[PretextTask("a", _Recorder(), num_classes=2),
                            PretextTask("a", _Recorder(), num_classes=2)]), "name of its own"),
        (dict(methods=("random_init", "flip")), "methods"),
        (dict(methods=("jigsaw", "jigsaw")), "each once"),
    ],
)
def test_bad_custom_tasks_raise(kwargs, message):
    with pytest.raises(ValueError, match=message):
        compare_pretext_tasks(_tiny_dataset(), **kwargs)


@pytest.mark.slow
def test_runs_every_method_on_tiny_data():
    _check_results(_compare(METHODS), METHODS)


def test_table_lists_each_method_with_its_numbers():
    results = {
        "random_init": {"linear_probe_accuracy": 0.281, "knn_accuracy": 0.25,
                        "pretext_metric": None, "pretext_value": None, "epochs": 0,
                        "train_time_s": 0.0},
        "rotation": {"linear_probe_accuracy": 0.5512, "knn_accuracy": 0.5,
                     "pretext_metric": "rotation accuracy", "pretext_value": 0.9,
                     "epochs": 3, "train_time_s": 12.4},
        "colorization": {"linear_probe_accuracy": 0.45, "knn_accuracy": 0.4,
                         "pretext_metric": "colorization MSE ([0, 1] units)",
                         "pretext_value": 0.01234, "epochs": 3, "train_time_s": 7.0},
    }
    lines = format_comparison_table(results, course_reference=True).splitlines()
    assert len(lines) == 2 + 3
    assert lines[0].startswith("| Method | Linear probe | kNN")
    assert lines[2] == "| random_init | 28.1% | 25.0% | - | 0 | 0 | ~28% |"
    assert lines[3] == "| rotation | 55.1% | 50.0% | rotation accuracy 90.0% | 3 | 12 | ~55% |"
    assert "colorization MSE ([0, 1] units) 0.0123" in lines[4]
    assert all(line.count("|") == 8 for line in lines)


def test_plot_is_saved(tmp_path):
    results = {m: {"linear_probe_accuracy": 0.1 * i, "knn_accuracy": 0.05 * i}
               for i, m in enumerate(METHODS)}
    figure = plot_comparison(results, path=tmp_path / "comparison.png")
    assert (tmp_path / "comparison.png").stat().st_size > 0
    assert len(figure.axes[0].patches) == 2 * len(METHODS)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(methods=("rotation", "mae")), "methods"),
        (dict(methods=()), "methods"),
        (dict(rotation_mode="some"), "rotation_mode"),
        (dict(epochs={"rotation": 1}, methods=("rotation", "jigsaw")), "Missing"),
        (dict(epochs=0, methods=("rotation",)), "epochs"),
        (dict(batch_size=0), "batch_size"),
        (dict(encoder_builder="small_cnn"), "encoder_builder"),
        (dict(on_trained="tsne"), "on_trained"),
    ],
)
def test_bad_arguments_raise(kwargs, message):
    with pytest.raises(ValueError, match=message):
        compare_pretext_tasks(_tiny_dataset(), **kwargs)


def test_bad_datasets_raise():
    images, labels = tiny_images(4, shape=(8, 12, 3)), np.zeros(4)
    with pytest.raises(ValueError, match="square"):
        compare_pretext_tasks(((images, labels), (images, labels)), methods=("random_init",))
    images = tiny_images(4)
    with pytest.raises(ValueError, match="one label"):
        compare_pretext_tasks(((images, labels[:3]), (images, labels)), methods=("random_init",))
    with pytest.raises(ValueError, match="dataset"):
        compare_pretext_tasks(42, methods=("random_init",))


def test_the_pretext_package_names_the_same_job():
    # Notebooks reach the comparison as `ssl_keras.pretext.compare_pretext_tasks`.
    from ssl_keras import pretext
    from ssl_keras.experiments import pretext_comparison

    assert pretext.compare_pretext_tasks is pretext_comparison.compare_pretext_tasks
    assert pretext.METHODS == pretext_comparison.METHODS
    assert "compare_pretext_tasks" in pretext.__all__
