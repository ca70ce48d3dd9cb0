"""DINO: cross-entropy between a centered, sharpened teacher and the student, across views."""

import keras
from keras import ops

from ssl_keras.losses._contrastive import TwoViewLoss, check_positive


def _stack_views(logits, name: str):
    """`(views, N, K)` float32 from a rank-3 tensor or a list of `(N, K)` tensors."""
    if isinstance(logits, (list, tuple)):
        logits = ops.stack([ops.convert_to_tensor(view) for view in logits], axis=0)
    logits = ops.cast(ops.convert_to_tensor(logits), "float32")
    if len(logits.shape) != 3:
        raise ValueError(
            f"`{name}` should be a list of (N, K) tensors, one per view, or a tensor of "
            f"shape (views, N, K). Received: {name}.shape={tuple(logits.shape)}"
        )
    return logits


def _check_views(student, teacher) -> None:
    for axis, what in ((1, "batch size"), (2, "output dimension K")):
        s, t = student.shape[axis], teacher.shape[axis]
        if s is not None and t is not None and s != t:
            raise ValueError(
                f"`student_logits` and `teacher_logits` should have the same {what}. "
                f"Received: student_logits.shape={tuple(student.shape)}, "
                f"teacher_logits.shape={tuple(teacher.shape)}"
            )
    num_student, num_teacher = student.shape[0], teacher.shape[0]
    if num_student < num_teacher or num_student < 2:
        raise ValueError(
            "The student should see every view the teacher sees, first and in the same "
            "order, and at least one other view (pairs of different views make the loss). "
            f"Received: {num_student} student views and {num_teacher} teacher views"
        )


def _check_temperatures(student_temperature, teacher_temperature) -> None:
    check_positive(student_temperature, "student_temperature")
    check_positive(teacher_temperature, "teacher_temperature")


def dino_loss_per_example(
    student_logits,
    teacher_logits,
    center=0.0,
    student_temperature: float = 0.1,
    teacher_temperature: float = 0.04,
):
    """The N per-image terms of `dino_loss`: each image's mean cross-entropy over pairs.

    Args:
        student_logits: `(V, N, K)`, or a list of V `(N, K)` tensors.
        teacher_logits: `(G, N, K)`, or a list of G `(N, K)` tensors.
        center: `(K,)` (or a scalar) subtracted from the teacher's logits.
        student_temperature: tau_s > 0.
        teacher_temperature: tau_t > 0.

    Returns:
        float32 tensor of shape `(N,)`.
    """
    _check_temperatures(student_temperature, teacher_temperature)
    student = _stack_views(student_logits, "student_logits")
    teacher = _stack_views(teacher_logits, "teacher_logits")
    _check_views(student, teacher)
    center = ops.stop_gradient(ops.cast(ops.convert_to_tensor(center), "float32"))
    # The paper's H(t, s): t.detach(); softmax((t - C) / tpt); softmax(s / tps).
    targets = ops.softmax(
        (ops.stop_gradient(teacher) - center) / ops.cast(teacher_temperature, "float32"), axis=-1
    )
    log_predictions = ops.log_softmax(
        student / ops.cast(student_temperature, "float32"), axis=-1
    )
    # cross_entropy[g, v, n] = -sum_k P_t(view g)[n, k] log P_s(view v)[n, k]
    cross_entropy = -ops.einsum("gnk,vnk->gvn", targets, log_predictions)
    num_teacher, num_student = teacher.shape[0], student.shape[0]
    different = ops.cast(
        ops.not_equal(
            ops.arange(num_teacher)[:, None], ops.arange(num_student)[None, :]
        ),
        "float32",
    )
    num_pairs = num_teacher * num_student - num_teacher
    return ops.sum(cross_entropy * different[:, :, None], axis=(0, 1)) / float(num_pairs)


def dino_loss(
    student_logits,
    teacher_logits,
    center=0.0,
    student_temperature: float = 0.1,
    teacher_temperature: float = 0.04,
):
    """DINO's loss (Caron et al., 2021): the student predicts the centered, sharpened teacher.

    With `P_s(x) = softmax(g_s(x) / tau_s)` the student's distribution over K outputs
    and `P_t(x) = softmax((g_t(x) - C) / tau_t)` the teacher's, centered by C and
    sharpened by a low temperature tau_t, the loss of a batch of N images is

        L = 1 / (N * #pairs) sum_n sum_{g in global views} sum_{v in views, v != g}
                H(P_t(x_g^n), P_s(x_v^n)),     H(a, b) = -sum_k a_k log b_k

    Paper (Sec. 3.1): "we minimize sum_{x in {x_1^g, x_2^g}} sum_{x' in V, x' != x}
    H(P_t(x), P_s(x'))"; the teacher sees the G global views, the student all V views.
    The sum over pairs is divided by their number, `G * V - G`, and averaged over the
    batch, as the official `main_dino.py` (`total_loss /= n_loss_terms`) and lightly do;
    with two views (V = G = 2) this is Algorithm 1's `H(t1, s2) / 2 + H(t2, s1) / 2`.
    No gradient flows to the teacher's logits or the center (Algorithm 1's
    `t.detach()`). The center itself is state of the training loop: `DINO` keeps it
    and updates it after each step with `C <- m C + (1 - m) mean(teacher logits)`.

    This matches lightly 1.6's `DINOLoss(output_dim=K, teacher_temp=tau_t,
    student_temp=tau_s)` called as `loss(teacher_out, student_out, epoch=e)` with its
    buffer `center` set to C and `e >= warmup_teacher_temp_epochs`: lightly's
    teacher temperature follows a linear warm-up over its first 30 epochs by default
    (here tau_t is a constant, the official code's default); lightly updates its center
    inside `forward`, after computing the loss (here the caller updates it); and lightly
    lets the gradient reach `teacher_out` (its teacher has no trainable weights).

    Closed forms: a uniform teacher (`teacher_logits - center` constant over K) gives
    each pair `logsumexp(s / tau_s) - mean(s / tau_s)`, i.e. `log K` for a uniform
    student too; a student whose distribution equals the teacher's in every view pays
    the teacher's entropy, the minimum of the cross-entropy.

    Args:
        student_logits: the student's outputs `g_s(x)` for all V views, `(V, N, K)` or a
            list of V `(N, K)` tensors; the first G views are the teacher's, in the
            same order (the global views), then the others (the local views).
        teacher_logits: the teacher's outputs `g_t(x)` for the G global views,
            `(G, N, K)` or a list of G `(N, K)` tensors (G = 2 in DINO).
        center: the center C, `(K,)` or a scalar. Defaults to 0 (no centering).
        student_temperature: tau_s > 0. Defaults to 0.1 (the paper's).
        teacher_temperature: tau_t > 0. Defaults to 0.04 (the paper's after
            warm-up, and the official code's default).

    Returns:
        Scalar float32 tensor >= 0.

    Raises:
        ValueError: if a temperature is not > 0, the logits are not rank 3 (or lists of
            rank-2 tensors), their batch sizes or K differ, or the student has fewer
            views than the teacher or fewer than 2.

    Example:
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> student = rng.normal(size=(6, 8, 32)).astype("float32")  # 2 global + 4 local
    >>> teacher = rng.normal(size=(2, 8, 32)).astype("float32")
    >>> float(dino_loss(student, teacher, center=np.zeros(32)))  # doctest: +SKIP

    Reference:
        Caron, Touvron, Misra, Jegou, Mairal, Bojanowski, Joulin. Emerging Properties in
        Self-Supervised Vision Transformers. ICCV 2021, Sec. 3.1, Eq. (3) and
        Algorithm 1.
    """
    return ops.mean(
        dino_loss_per_example(
            student_logits, teacher_logits, center, student_temperature, teacher_temperature
        )
    )


@keras.saving.register_keras_serializable(package="ssl_keras")
class DINOLoss(TwoViewLoss):
    """`dino_loss` as a `keras.losses.Loss`: `y_true` the centered teacher, `y_pred` the student.

    Unlike the two-view losses (`y_pred` = two views stacked, `y_true` ignored), DINO's
    loss compares two networks' outputs, so both arguments are used, batch first as
    Keras slices them: `y_pred` the student's logits of its V views, `(N, V, K)`, the
    teacher's views first; `y_true` the teacher's logits of its G views minus the
    center, `teacher_logits - center`, `(N, G, K)`. A list of `(N, K)` views is also
    accepted for either. The center is not kept by the loss: it changes every step and
    a Keras loss holds no state; `DINO` keeps it as a non-trainable variable. The
    per-image terms are returned, so the default `"sum_over_batch_size"` reduction gives
    `dino_loss` and `sample_weight` weighs images.

    Args:
        student_temperature: tau_s > 0. Defaults to 0.1.
        teacher_temperature: tau_t > 0. Defaults to 0.04.
        reduction: as in `keras.losses.Loss`.
        name: name of the loss.
        dtype: as in `keras.losses.Loss`.

    Raises:
        ValueError: if a temperature is not > 0, or the shapes do not match.

    Example:
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> student = rng.normal(size=(8, 2, 32)).astype("float32")  # (N, V, K)
    >>> centered_teacher = rng.normal(size=(8, 2, 32)).astype("float32")  # (N, G, K)
    >>> float(DINOLoss()(centered_teacher, student))  # doctest: +SKIP

    Reference:
        Caron et al. Emerging Properties in Self-Supervised Vision Transformers. ICCV
        2021.
    """

    per_example_function = staticmethod(dino_loss_per_example)
    config_arguments = ("student_temperature", "teacher_temperature")

    def __init__(
        self,
        student_temperature: float = 0.1,
        teacher_temperature: float = 0.04,
        reduction: str = "sum_over_batch_size",
        name: str = "dino",
        dtype=None,
    ):
        _check_temperatures(student_temperature, teacher_temperature)
        super().__init__(
            reduction,
            name,
            dtype,
            student_temperature=student_temperature,
            teacher_temperature=teacher_temperature,
        )

    def call(self, y_true, y_pred):
        return self.per_example(_views_first(y_pred, "y_pred"), _views_first(y_true, "y_true"))

    def per_example(self, student_logits, centered_teacher_logits):
        """`dino_loss_per_example` on view-first logits, the center already subtracted."""
        return self.per_example_function(
            student_logits,
            centered_teacher_logits,
            0.0,
            self.student_temperature,
            self.teacher_temperature,
        )


def _views_first(logits, name: str):
    """`(N, views, K)` (or a list of `(N, K)` views) -> `(views, N, K)`."""
    if isinstance(logits, (list, tuple)):
        return list(logits)
    logits = ops.convert_to_tensor(logits)
    if len(logits.shape) != 3:
        raise ValueError(
            f"`{name}` should have shape (N, views, K). Received: {name}.shape="
            f"{tuple(logits.shape)}"
        )
    return ops.transpose(logits, (1, 0, 2))
