"""The ablations assignment: notebook in sync with its builder, the visible check accepts
the solution and names the usual mistakes, every case (visible and hidden) matches the
stored values, the grader's oracle agrees with ssl_keras's NT-Logistic and with closed
forms, and the ablation helper runs (`ssl_keras.experiments.ablations`)."""

import keras
import numpy as np
import pytest
from ssl_keras_autograder import references
from ssl_keras_autograder.checks import ablations as checks
from ssl_keras_autograder.judge import resolve
from ssl_keras_autograder.judges import ablations as judge

from tests.assignments.source_notebooks import (
    assert_solution_matches_expected,
    built_cells,
    check_notebook_structure,
    committed_cells,
    comparable,
    execute_fast,
    judged_problems,
    solution_namespace,
)

NAME = "ablations"
TASK = "nt_logistic_loss"


@pytest.fixture(scope="module")
def solution():
    from keras import ops

    return solution_namespace(NAME, ["nt_logistic"], {"np": np, "ops": ops})[TASK]


def test_committed_notebook_matches_builder():
    assert comparable(committed_cells(NAME)) == comparable(built_cells(NAME))


def test_notebook_structure_and_points():
    check_notebook_structure(NAME, checks)
    graded = [cell for cell in committed_cells(NAME)
              if cell["metadata"].get("nbgrader", {}).get("grade")]
    points = {cell["id"]: cell["metadata"]["nbgrader"]["points"] for cell in graded}
    assert points["nt_logistic_tests"] == 3 and sum(points.values()) == 11
    title = "".join(committed_cells(NAME)[0]["source"])
    assert "(11 P)" in title and "3 P, graded automatically" in title and "8 P" in title


def test_notebook_states_no_unmeasured_figure():
    text = "".join("".join(cell["source"]) for cell in committed_cells(NAME)
                   if cell["cell_type"] == "markdown")
    assert "not measured" not in text


def test_case_names_are_unique():
    assert not set(checks.VISIBLE) & set(judge.HIDDEN)


def test_stored_values_are_up_to_date():
    assert references.check([NAME]) == []


def test_visible_module_holds_no_reference():
    source = open(checks.__file__).read()
    assert "oracle" not in source and "ssl_keras." not in source.replace("ssl_keras_", "")
    assert not hasattr(checks, "FORBIDDEN") and not hasattr(checks, "REFERENCES")


def test_solution_passes_visible_check(solution, capsys):
    checks.check_nt_logistic_loss(solution)
    assert f"{TASK}: all visible checks passed" in capsys.readouterr().out


def test_solution_matches_every_case(solution):
    assert_solution_matches_expected(NAME, {TASK: solution}, checks)


def test_oracle_agrees_with_ssl_keras_on_every_case():
    from ssl_keras.losses import nt_logistic

    for name, case in {**checks.VISIBLE, **judge.HIDDEN}.items():
        ours = judge.oracle_nt_logistic(*case.inputs(), **case.kwargs)
        theirs = float(keras.ops.convert_to_numpy(nt_logistic(*case.inputs(), **case.kwargs)))
        np.testing.assert_allclose(ours, theirs, rtol=case.rtol, atol=case.atol, err_msg=name)


def test_oracle_against_closed_forms():
    # Orthonormal images, identical directions: s_ij = 1, s_ik = 0 -> softplus(-1/t) + log 2.
    eye = np.eye(4, 6)
    for tau in (0.1, 0.5, 2.0):
        expected = np.log1p(np.exp(-1 / tau)) + np.log(2.0)
        np.testing.assert_allclose(judge.oracle_nt_logistic(eye, 3 * eye, tau), expected)
    # Collapse: every similarity 1 -> softplus(-1/t) + softplus(1/t).
    z = np.ones((3, 2))
    np.testing.assert_allclose(judge.oracle_nt_logistic(z, z, 0.5),
                               np.log1p(np.exp(-2.0)) + np.log1p(np.exp(2.0)))
    # Without the norm the scale of the embeddings matters; with it, it does not.
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(2, 5, 3))
    assert judge.oracle_nt_logistic(a, b) == pytest.approx(judge.oracle_nt_logistic(7 * a, b))
    assert judge.oracle_nt_logistic(a, b, normalize=False) != pytest.approx(
        judge.oracle_nt_logistic(7 * a, b, normalize=False))


def _naive_log_sigmoid(z_a, z_b, temperature=0.5, normalize=True):
    """ops.log(ops.sigmoid(x)): -inf once the logits reach a few hundred."""
    from keras import ops

    z = ops.concatenate([ops.convert_to_tensor(z_a, "float32"),
                         ops.convert_to_tensor(z_b, "float32")], axis=0)
    if normalize:
        z = z / ops.norm(z, axis=1, keepdims=True)
    logits = ops.matmul(z, ops.transpose(z)) / temperature
    two_n = z.shape[0]
    index = np.arange(two_n)
    positive = np.zeros((two_n, two_n), "float32")
    positive[index, (index + two_n // 2) % two_n] = 1
    negative = 1 - positive - np.eye(two_n, dtype="float32")
    terms = (-ops.sum(ops.log(ops.sigmoid(logits)) * positive, axis=1)
             - ops.sum(ops.log(ops.sigmoid(-logits)) * negative, axis=1) / (two_n - 2))
    return ops.mean(terms)


def _half(z_a, z_b, temperature=0.5, normalize=True):
    return 0.5 * judge.oracle_nt_logistic(z_a, z_b, temperature, normalize)


V = judge.VARIANTS[TASK]

WRONG = [
    (V["one_direction"], "only the anchors of z_a"),
    (V["sum_negatives"], "summed"),
    (V["keeps_self"], "among its own negatives"),
    (V["ignores_normalize"], "ignore `normalize`"),
    (V["no_temperature"], "temperature is missing"),
    (_naive_log_sigmoid, "NaN or infinity|differs|gave"),
    (_half, "gave"),
]


@pytest.mark.parametrize("wrong, message", WRONG)
def test_visible_check_names_the_mistake(wrong, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_nt_logistic_loss(wrong)


@pytest.mark.parametrize("wrong, message", WRONG)
def test_grader_rejects_wrong_implementations(wrong, message):
    assert judged_problems(NAME, wrong, TASK, checks)


def test_every_variant_is_named_by_a_visible_case():
    named = {variant for case in checks.VISIBLE.values() for variant, _ in case.mistakes}
    assert named == set(V)


def test_library_nt_logistic_is_forbidden():
    forbidden = judge.FORBIDDEN[TASK]
    assert set(judge.FORBIDDEN) == {TASK} and not judge.STAND_INS
    assert {"ssl_keras.losses.nt_logistic", "ssl_keras.losses.NTLogistic"} <= set(forbidden)
    for name in forbidden:
        assert callable(resolve(name)), name
    solution_text = "".join(
        "".join(cell["source"]) for cell in committed_cells(NAME)
        if cell["metadata"].get("nbgrader", {}).get("solution") and cell["cell_type"] == "code")
    assert "ssl_keras" not in solution_text and "nt_logistic(" not in solution_text


# ------------------------------------------------ ssl_keras.experiments.ablations


def test_ablation_tables_have_the_papers_shape():
    from ssl_keras.experiments import ablations

    assert [(s.objective, s.normalize) for s in ablations.LOSS_TABLE] == [
        (loss, norm) for norm in (True, False)
        for loss in ("nt_xent", "nt_logistic", "margin_triplet")]
    assert {(s.temperature, s.normalize) for s in ablations.TEMPERATURE_TABLE} == {
        (t, n) for t in (0.05, 0.2, 1.0) for n in (True, False)}
    assert [s.head for s in ablations.HEAD_FIGURE] == ["none", "linear", "mlp"]
    assert [s.method for s in ablations.MOCO_VS_SIMCLR] == ["simclr", "moco"]
    labels = [s.label for settings in ablations.ABLATIONS.values() for s in settings]
    assert len(labels) == len(set(labels))
    with pytest.raises(ValueError, match="`head` should be one of"):
        ablations.AblationSetting("x", head="deep")


def test_models_heads_and_table_without_training():
    import functools

    from ssl_keras.experiments import ablations
    from ssl_keras.losses import margin_triplet
    from ssl_keras.models import SimCLR

    features = np.zeros((3, 10), "float32")
    shapes = {kind: tuple(ablations.projection_head(kind, 6, 4)(features).shape)
              for kind in ablations.HEADS}
    assert shapes == {"none": (3, 10), "linear": (3, 4), "mlp": (3, 4)}
    objective = functools.partial(margin_triplet, margin=0.5)
    setting = ablations.AblationSetting("own", objective=objective, normalize=False)
    model = ablations.build_model(setting, (16, 16, 3), width=2)
    assert isinstance(model, SimCLR) and model.objective is objective and not model.normalize
    assert isinstance(setting.describe()["objective"], str)
    rows = [{"label": "long label", "linear_probe": 0.5, "knn": 0.25},
            {"label": "b", "linear_probe": 1.0}]
    lines = ablations.format_ablation_table(rows).splitlines()
    assert lines[2].split() == ["long", "label", "50.0%", "25.0%"]
    assert lines[3].split() == ["b", "100.0%", "-"]


def test_encoder_ignores_each_images_gray_levels():
    # The digits draw a background and stroke gray level per image; with per-image
    # standardization (the default) an affine change of the gray levels, x -> a x + b with
    # a > 0, leaves the features unchanged; without it, it does not.
    from ssl_keras.experiments import ablations

    rng = np.random.default_rng(0)
    images = rng.uniform(40.0, 120.0, (2, 16, 16, 3)).astype("float32")
    brighter = 2.0 * images + 10.0
    setting = ablations.AblationSetting("x")
    for standardize, unchanged in ((True, True), (False, False)):
        encoder = ablations.build_model(setting, (16, 16, 3), width=2,
                                        standardize=standardize).encoder
        features = [keras.ops.convert_to_numpy(encoder(x, training=False))
                    for x in (images, brighter)]
        assert np.allclose(*features, rtol=1e-3, atol=1e-4) == unchanged
    assert ablations.BUDGET.standardize and ablations.FAST_BUDGET.standardize


def test_moco_queue_and_momentum_fit_the_digits():
    import ssl_keras
    from ssl_keras.experiments import ablations

    (x_train, _), _ = ssl_keras.load_digits()
    moco = [s for s in ablations.MOCO_VS_SIMCLR if s.method == "moco"]
    assert len(moco) == 1
    assert moco[0].batch_size <= moco[0].queue_size <= len(x_train) // 8
    assert f"queue {moco[0].queue_size}" in moco[0].label
    model = ablations.build_model(moco[0], x_train.shape[1:], width=2)
    assert model.queue_size == moco[0].queue_size and model.momentum == moco[0].momentum
    # The key encoder, an exponential moving average, should move most of the way from its
    # initial weights within the budget's steps: 1 - m^steps > 0.9.
    steps = -(-len(x_train) // moco[0].batch_size) * ablations.BUDGET.epochs
    assert 1 - moco[0].momentum ** steps > 0.9


@pytest.mark.slow
def test_run_ablation_rows_cache_and_identity_head():
    from ssl_keras.experiments import ablations

    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (24, 16, 16, 3)).astype("uint8")
    labels = np.arange(24) % 3
    settings = [ablations.AblationSetting("a", head="none", batch_size=8),
                ablations.AblationSetting("b", head="none", batch_size=8)]
    cache = {}
    rows = ablations.run_ablation(settings, images, labels, images[:12], labels[:12],
                                  epochs=1, width=2, probe_epochs=1, knn_k=3,
                                  projection_features=True, cache=cache)
    assert [row["label"] for row in rows] == ["a", "b"]
    assert len(cache) == 1  # identical settings but the label: trained once
    for key in ("linear_probe", "knn", "linear_probe_projection", "knn_projection"):
        assert 0.0 <= rows[0][key] <= 1.0 and rows[0][key] == rows[1][key]
    # no head: g(h) = h, judged twice the same way
    assert rows[0]["knn"] == rows[0]["knn_projection"]
    assert np.isfinite(rows[0]["final_loss"])


@pytest.mark.slow
def test_notebook_runs_top_to_bottom_in_fast_mode(monkeypatch):
    notebook = execute_fast(NAME, monkeypatch)
    errors = [output for cell in notebook.cells if cell.cell_type == "code"
              for output in cell.outputs if output.get("output_type") == "error"]
    assert not errors
    outputs = "".join(output.get("text", "") for cell in notebook.cells
                      if cell.cell_type == "code" for output in cell.outputs)
    assert "all visible checks passed" in outputs
