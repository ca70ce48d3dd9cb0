"""DINO's loss: Algorithm 1 and Eq. (3) in NumPy, closed forms, lightly 1.6, the class."""

import json
import math
import pathlib

import keras
import numpy as np
import pytest

from ssl_keras.losses import DINOLoss, dino_loss
from ssl_keras.losses.dino import dino_loss_per_example
from tests import conventions
from tests.conftest import autodiff_gradients, to_numpy
from tests.losses.make_lightly_values import make_dino_inputs

LIGHTLY_CASES = [
    case
    for case in json.loads(pathlib.Path(__file__).with_name("lightly_values.json").read_text())[
        "cases"
    ]
    if case["loss"] == "DINOLoss"
]


# ------------------------------------------------------ the paper, written in NumPy


def _softmax(x):
    x = x - x.max(axis=-1, keepdims=True)
    e = np.exp(x)
    return e / e.sum(axis=-1, keepdims=True)


def algorithm1_two_views(s1, s2, t1, t2, center, tps, tpt):
    """Caron et al. (2021), Algorithm 1, line by line (float64):

        loss = H(t1, s2)/2 + H(t2, s1)/2
        def H(t, s):
            t = t.detach()  # stop gradient
            s = softmax(s / tps, dim=1)
            t = softmax((t - C) / tpt, dim=1)  # center + sharpen
            return - (t * log(s)).sum(dim=1).mean()
    """

    def cross_entropy(t, s):
        s = _softmax(s / tps)
        t = _softmax((t - center) / tpt)
        return -(t * np.log(s)).sum(axis=1).mean()

    return cross_entropy(t1, s2) / 2 + cross_entropy(t2, s1) / 2


def eq3_multi_crop(student, teacher, center, tps, tpt):
    """Eq. (3) with multi-crop, Sec. 3.1: sum over the teacher's global views x and every
    student view x' != x of H(P_t(x), P_s(x')), a double loop; divided by the number of
    pairs (the official code's `total_loss /= n_loss_terms`), each H a batch mean."""
    total, pairs = 0.0, 0
    for g, t in enumerate(teacher):
        p_t = _softmax((t - center) / tpt)
        for v, s in enumerate(student):
            if v == g:
                continue
            log_p_s = np.log(_softmax(s / tps))
            total += np.mean([-np.sum(p_t[n] * log_p_s[n]) for n in range(len(t))])
            pairs += 1
    return total / pairs


def _inputs(rng, views, teacher_views, n, k, scale=1.0):
    student = (scale * rng.normal(size=(views, n, k))).astype("float32")
    teacher = (scale * rng.normal(size=(teacher_views, n, k))).astype("float32")
    center = rng.normal(size=(k,)).astype("float32")
    return student, teacher, center


@pytest.mark.parametrize("n, k", [(1, 3), (4, 8), (9, 32)])
@pytest.mark.parametrize("tps, tpt", [(0.1, 0.04), (0.5, 0.2), (1.0, 1.0)])
def test_two_views_match_algorithm1(rng, n, k, tps, tpt):
    student, teacher, center = _inputs(rng, 2, 2, n, k)
    expected = algorithm1_two_views(*student, *teacher, center, tps, tpt)
    value = to_numpy(dino_loss(student, teacher, center, tps, tpt))
    np.testing.assert_allclose(value, expected, rtol=1e-5)


@pytest.mark.parametrize("views, teacher_views", [(2, 2), (3, 2), (10, 2), (4, 1), (5, 3)])
def test_multi_crop_matches_eq3_loop(rng, views, teacher_views):
    student, teacher, center = _inputs(rng, views, teacher_views, 6, 16, scale=0.5)
    expected = eq3_multi_crop(student, teacher, center, 0.1, 0.04)
    np.testing.assert_allclose(to_numpy(dino_loss(student, teacher, center)), expected,
                               rtol=1e-5)
    # Lists of (N, K) views are the same as stacked views.
    as_lists = dino_loss(list(student), list(teacher), center)
    np.testing.assert_allclose(to_numpy(as_lists), expected, rtol=1e-5)


def test_per_example_terms_average_to_the_loss(rng):
    student, teacher, center = _inputs(rng, 6, 2, 5, 8)
    terms = to_numpy(dino_loss_per_example(student, teacher, center))
    assert terms.shape == (5,)
    for n in range(5):
        np.testing.assert_allclose(
            terms[n], eq3_multi_crop(student[:, n:n + 1], teacher[:, n:n + 1], center, 0.1, 0.04),
            rtol=1e-5)
    np.testing.assert_allclose(terms.mean(), to_numpy(dino_loss(student, teacher, center)),
                               rtol=1e-6)


# ---------------------------------------------------------------------- closed forms


def test_uniform_teacher_gives_logsumexp_minus_mean(rng):
    # teacher - center constant over K: P_t = 1/K, so each pair costs
    # -1/K sum_k log P_s[k] = logsumexp(s / tps) - mean(s / tps).
    k = 10
    student = rng.normal(size=(3, 4, k)).astype("float32")
    center = rng.normal(size=(k,)).astype("float32")
    teacher = np.broadcast_to(center + 2.5, (2, 4, k)).astype("float32")
    logits = student / 0.1
    log_sum = np.log(np.exp(logits - logits.max(-1, keepdims=True)).sum(-1)) + logits.max(-1)
    per_view = (log_sum - logits.mean(-1)).mean(-1)  # (V,)
    # pairs: teacher 0 with student views 1, 2; teacher 1 with student views 0, 2
    expected = (per_view[1] + per_view[2] + per_view[0] + per_view[2]) / 4
    np.testing.assert_allclose(to_numpy(dino_loss(student, teacher, center)), expected,
                               rtol=1e-5)
    # A uniform student too: log K exactly, whatever the temperatures.
    uniform = np.full((3, 4, k), 0.7, "float32")
    np.testing.assert_allclose(to_numpy(dino_loss(uniform, teacher, center, 0.3, 0.01)),
                               math.log(k), rtol=1e-6)


def test_student_equal_to_teacher_pays_the_teachers_entropy(rng):
    # Every view identical and tau_s = tau_t: the cross-entropy is the entropy of P_t,
    # the smallest value the student can reach.
    k, tau = 6, 0.5
    view = rng.normal(size=(5, k)).astype("float32")
    center = rng.normal(size=(k,)).astype("float32")
    teacher = np.stack([view, view])
    student = np.stack([view - center] * 4)
    p = _softmax((view - center).astype("float64") / tau)
    entropy = -(p * np.log(p)).sum(-1).mean()
    value = to_numpy(dino_loss(student, teacher, center, tau, tau))
    np.testing.assert_allclose(value, entropy, rtol=1e-5)
    # Any other student costs more.
    other = student + rng.normal(0, 0.3, student.shape).astype("float32")
    assert to_numpy(dino_loss(other, teacher, center, tau, tau)) > value


def test_same_view_pairs_are_left_out(rng):
    # Student view g identical to the teacher's view g and the others uniform: if the
    # (g, g) pairs counted, the loss would drop below the uniform student's log K.
    k = 5
    teacher = rng.normal(size=(2, 3, k)).astype("float32")
    student = np.concatenate([teacher, np.zeros((2, 3, k), "float32")])
    terms = 2 * 4 - 2
    # Of the 6 pairs (g, v != g), 2 pair teacher g with the other global view
    # (cross-entropies h_01, h_10) and 4 with a uniform view (log K each).
    h = [[-(_softmax(teacher[g] / 0.04) * np.log(_softmax(student[v] / 0.1))).sum(-1).mean()
          for v in range(2)] for g in range(2)]
    expected = (h[0][1] + h[1][0] + 4 * math.log(k)) / terms
    np.testing.assert_allclose(to_numpy(dino_loss(student, teacher)), expected, rtol=1e-5)


def test_sharper_teacher_lower_temperature(rng):
    # tau_t -> 0 makes P_t one-hot on argmax(t - C): the loss tends to -log P_s[argmax].
    student, teacher, center = _inputs(rng, 2, 2, 4, 7)
    target = np.argmax(teacher - center, axis=-1)  # (2, N)
    log_p = np.log(_softmax(student.astype("float64") / 0.1))
    expected = np.mean([-log_p[1 - g, np.arange(4), target[g]].mean() for g in range(2)])
    np.testing.assert_allclose(to_numpy(dino_loss(student, teacher, center, 0.1, 1e-4)),
                               expected, rtol=1e-4)


# ----------------------------------------------------------------------- lightly 1.6


def test_lightly_dino_cases_exist():
    assert len(LIGHTLY_CASES) >= 4
    assert {case["teacher_views"] for case in LIGHTLY_CASES} >= {1, 2}


@pytest.mark.parametrize(
    "case", LIGHTLY_CASES,
    ids=lambda case: f"V{case['views']}-G{case['teacher_views']}-seed{case['seed']}")
def test_matches_lightly_1_6(case):
    student, teacher, center = make_dino_inputs(case)
    value = to_numpy(dino_loss(student, teacher, center, **case["kwargs"]))
    np.testing.assert_allclose(value, case["lightly_float64"], rtol=1e-5)
    np.testing.assert_allclose(value, case["lightly_float32"], rtol=1e-5)
    # And the NumPy loop agrees with lightly (the oracle is not tuned to the code).
    arguments = {"student_temperature": 0.1, "teacher_temperature": 0.04, **case["kwargs"]}
    loop = eq3_multi_crop(student.astype("float64"), teacher.astype("float64"),
                          center.astype("float64"), arguments["student_temperature"],
                          arguments["teacher_temperature"])
    np.testing.assert_allclose(loop, case["lightly_float64"], rtol=1e-9)


@pytest.mark.parametrize("case", LIGHTLY_CASES, ids=lambda case: f"seed{case['seed']}")
def test_lightly_center_update_is_the_ema_of_the_teacher_batch_mean(case):
    # The update DINO applies (Algorithm 1: C = m*C + (1-m)*cat([t1, t2]).mean(dim=0),
    # m = 0.9), here in NumPy, against lightly's center after its forward.
    _, teacher, center = make_dino_inputs(case)
    expected = 0.9 * center.astype("float64") + 0.1 * teacher.astype("float64").mean(axis=(0, 1))
    np.testing.assert_allclose(expected, case["lightly_center_after_float64"], rtol=1e-6,
                               atol=1e-7)


# ------------------------------------------------------------------------- gradients


def test_no_gradient_reaches_the_teacher_or_the_center(rng):
    student, teacher, center = _inputs(rng, 3, 2, 4, 5)

    def loss(s, t, c):
        # (0 * sum keeps t and c in the graph: tensorflow and torch give None otherwise.)
        return dino_loss(s, t, c, 0.2, 0.1) + 0.0 * (keras.ops.sum(t) + keras.ops.sum(c))

    gradient_s, gradient_t, gradient_c = autodiff_gradients(loss, student, teacher, center)
    np.testing.assert_array_equal(gradient_t, 0.0)
    np.testing.assert_array_equal(gradient_c, 0.0)
    assert np.all(np.isfinite(gradient_s)) and np.abs(gradient_s).sum() > 0


def test_student_gradient_matches_the_closed_form(rng):
    # d/ds_v of H(P_t, softmax(s_v / tps)) = (P_s - P_t) / tps, per image, averaged over
    # the batch and divided by the number of pairs.
    student, teacher, center = _inputs(rng, 3, 2, 4, 5)
    tps, tpt = 0.2, 0.1
    (gradient,) = autodiff_gradients(lambda s: dino_loss(s, teacher, center, tps, tpt), student)
    p_t = _softmax((teacher - center).astype("float64") / tpt)
    p_s = _softmax(student.astype("float64") / tps)
    expected = np.zeros_like(p_s)
    for g in range(2):
        for v in range(3):
            if v != g:
                expected[v] += (p_s[v] - p_t[g]) / tps
    expected /= 4 * 4  # pairs, images
    np.testing.assert_allclose(gradient, expected, rtol=1e-4, atol=1e-7)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_low_precision_inputs_computed_in_float32(rng, dtype):
    student, teacher, center = _inputs(rng, 4, 2, 3, 6)
    low_s, low_t = keras.ops.cast(student, dtype), keras.ops.cast(teacher, dtype)
    value = dino_loss(low_s, low_t, center)
    assert keras.backend.standardize_dtype(value.dtype) == "float32"
    expected = dino_loss(keras.ops.cast(low_s, "float32"), keras.ops.cast(low_t, "float32"),
                         center)
    np.testing.assert_allclose(to_numpy(value), to_numpy(expected), rtol=1e-6)


# ----------------------------------------------------------------------------- class


def _batch_first(views):
    return np.transpose(views, (1, 0, 2))


def test_class_is_the_function_on_the_centered_teacher(rng):
    student, teacher, center = _inputs(rng, 5, 2, 4, 8)
    loss = DINOLoss(student_temperature=0.2, teacher_temperature=0.05)
    expected = to_numpy(dino_loss(student, teacher, center, 0.2, 0.05))
    np.testing.assert_allclose(
        to_numpy(loss(_batch_first(teacher - center), _batch_first(student))), expected,
        rtol=1e-6)
    # Lists of (N, K) views are the same.
    np.testing.assert_allclose(to_numpy(loss(list(teacher - center), list(student))), expected,
                               rtol=1e-6)
    # sample_weight weighs images (the per-image terms).
    weights = np.array([1.0, 0.0, 0.0, 0.0], "float32")
    terms = to_numpy(dino_loss_per_example(student, teacher, center, 0.2, 0.05))
    value = loss(_batch_first(teacher - center), _batch_first(student), sample_weight=weights)
    np.testing.assert_allclose(to_numpy(value), terms[0] / 4, rtol=1e-6)


# The checks tests/conventions.py makes of the two-view loss classes, for DINOLoss's
# layout (y_true the centered teacher (N, G, K), y_pred the student (N, V, K)).


def test_class_config_round_trip():
    conventions.check_loss_config_round_trip(
        DINOLoss(student_temperature=0.3, teacher_temperature=0.07, name="my_dino"))


def test_class_low_precision_inputs(rng):
    student, teacher, _ = _inputs(rng, 4, 2, 6, 8, scale=0.2)
    loss = DINOLoss(student_temperature=0.5, teacher_temperature=0.2)
    reference = float(to_numpy(loss(_batch_first(teacher), _batch_first(student))))
    for dtype in ("float16", "bfloat16"):
        value = loss(keras.ops.cast(_batch_first(teacher), dtype),
                     keras.ops.cast(_batch_first(student), dtype))
        assert keras.backend.standardize_dtype(value.dtype) == "float32"
        np.testing.assert_allclose(float(to_numpy(value)), reference, rtol=0.05, atol=0.05)


def test_class_trains_a_model_with_fit_and_saves(rng, tmp_path):
    # A student mapping inputs (N, 5) to 3 views of K = 4 logits learns fixed teacher
    # targets: the loss decreases, and the model saves with its loss.
    inputs = keras.Input((5,))
    logits = keras.layers.Reshape((3, 4))(keras.layers.Dense(12)(inputs))
    model = keras.Model(inputs, logits)
    loss = DINOLoss(student_temperature=0.5, teacher_temperature=0.1)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.5), loss=loss)
    x = rng.normal(size=(16, 5)).astype("float32")
    teacher = rng.normal(size=(16, 2, 4)).astype("float32")
    history = model.fit(x, teacher, batch_size=8, epochs=5, shuffle=False, verbose=0).history
    assert np.all(np.isfinite(history["loss"])) and history["loss"][-1] < history["loss"][0]
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert type(loaded.loss) is DINOLoss and loaded.loss.get_config() == loss.get_config()
    np.testing.assert_allclose(loaded.evaluate(x, teacher, verbose=0),
                               model.evaluate(x, teacher, verbose=0), rtol=1e-5)


# ---------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: DINOLoss(student_temperature=0), "`student_temperature` should be > 0"),
        (lambda: DINOLoss(teacher_temperature=-1.0), "teacher_temperature"),
        (lambda: dino_loss(np.ones((2, 3, 4)), np.ones((2, 3, 4)), teacher_temperature=0),
         "teacher_temperature"),
        (lambda: dino_loss(np.ones((3, 4)), np.ones((2, 3, 4))), r"\(views, N, K\)"),
        (lambda: dino_loss(np.ones((2, 3, 4)), np.ones((2, 3, 5))), "output dimension K"),
        (lambda: dino_loss(np.ones((2, 3, 4)), np.ones((2, 2, 4))), "same batch size"),
        (lambda: dino_loss(np.ones((2, 3, 4)), np.ones((3, 3, 4))), "every view the teacher"),
        (lambda: dino_loss(np.ones((1, 3, 4)), np.ones((1, 3, 4))), "at least one other"),
        (lambda: DINOLoss()(np.ones((3, 4)), np.ones((3, 2, 4))), r"`y_true` should have shape"),
    ],
)
def test_bad_arguments_and_shapes(call, match):
    with pytest.raises(ValueError, match=match):
        call()
