"""Builds ablations.ipynb: SimCLR's ablations at a small budget (lecture: SSL for vision).

Students write the NT-Logistic loss (autograded); the ablations of SimCLR's Table 2 (loss
x L2 norm), Table 5 (temperature x norm), Figure 8 (projection head), Figure 9 (batch
size) and MoCo against SimCLR run through `ssl_keras.experiments.ablations`, and the
written questions compare them with the paper. The expected figures come from
`benchmarks/results/ablations_digits_jax.json` (`benchmarks/ablations_digits.py`).

Run `python assignments/ablations/make_notebook.py` to rewrite the notebook.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import measured  # noqa: E402
from notebook_builder import (  # noqa: E402
    code,
    install,
    locked,
    markdown,
    setup,
    solution,
    tests,
    write_notebook,
)
from notebook_builder import written_answer as answer  # noqa: E402

from ssl_keras.experiments import ablations  # noqa: E402

NAME = "ablations"
RESULT = "ablations_digits_jax.json"
measured.COMMANDS.setdefault(RESULT, "KERAS_BACKEND=jax nice python benchmarks/ablations_digits.py")
QUEUE = str(ablations.MOCO_QUEUE_SIZE)
MOMENTUM = f"{ablations.MOCO_VS_SIMCLR[1].momentum:g}"
COLUMNS = {"head": ("linear_probe", "linear_probe_projection", "knn", "knn_projection")}


def _record() -> dict:
    return measured.load(RESULT)


def where() -> str:
    """The budget, machine and date of the measured run, as text."""
    record = _record()
    machine = record["machine"]
    budget = record["budget"]
    device = machine["accelerator"] if machine["accelerator"] != "cpu" else (
        f"a shared {machine['cpu_count']}-core CPU")
    minutes = record["wall_seconds"] / 60
    return (f"{budget['epochs']} epochs of the embedded digits per setting, small CNN of "
            f"width {budget['width']}, one seed; {machine['backend']} backend on {device}, "
            f"{machine['date'][:10]}, {minutes:.0f} minutes for all five ablations")


def minutes() -> str:
    """The measured run's wall time for all five ablations, in minutes, as text."""
    return f"{_record()['wall_seconds'] / 60:.0f}"


def table(ablation: str) -> str:
    """One ablation's measured rows as a Markdown table (or a line saying it is missing)."""
    rows = _record()["results"].get(ablation)
    if rows is None:
        return "*(not measured yet)*"
    columns = COLUMNS.get(ablation, ("linear_probe", "knn"))
    titles = {"linear_probe": "linear probe on h", "knn": "kNN on h",
              "linear_probe_projection": "linear probe on g(h)",
              "knn_projection": "kNN on g(h)"}
    lines = ["| setting | " + " | ".join(titles[c] for c in columns) + " |",
             "|---|" + "---|" * len(columns)]
    floor = _record().get("random_init")
    if floor is not None:  # the same encoder, never trained: read every row against it
        lines.append("| *random init (not trained)* | "
                     + " | ".join(measured.percent(floor[c]) if c in floor else "-"
                                  for c in columns) + " |")
    for row in rows:
        lines.append(f"| {row['label']} | "
                     + " | ".join(measured.percent(row[c]) for c in columns) + " |")
    return "\n".join(lines)


def value(ablation: str, label: str, column: str = "linear_probe") -> str:
    for row in _record()["results"].get(ablation, []):
        if row["label"] == label:
            return measured.percent(row[column])
    return "(not measured)"


def measured_block(ablation: str) -> str:
    """The measured table with its caption, indented like the builder's cell text."""
    text = ("**Measured** (the full budget, not FAST; " + where() + "):\n\n" + table(ablation)
            + "\n\nThe first row is the same encoder never trained: at this small budget "
            "a setting can end below it, so compare every row with it before comparing "
            "rows with each other. Other backends and machines draw other random numbers: "
            "expect a few "
            "points apart. With `SSL_KERAS_FAST=1` only the first setting runs, on 256 "
            "images for one epoch: its numbers mean nothing.")
    return text.replace("\n", "\n        ")


def floor(column: str = "linear_probe") -> str:
    """The untrained encoder's accuracy in the measured run, as text."""
    record = _record().get("random_init")
    return measured.percent(record[column]) if record else "(not measured)"


def moco_steps() -> str:
    """MoCo's optimiser steps in the measured run (1,258 digits at batch 32), as text."""
    return str(-(-1258 // 32) * _record()["budget"]["epochs"])


def moco_drift(momentum: str) -> str:
    """How far a moving average of `momentum` moves in `moco_steps()` steps: 1 - m^steps."""
    return f"{100 * (1 - float(momentum) ** int(moco_steps())):.0f}%"


def build_cells() -> list[dict]:
    return [
        markdown(r"""
        # SimCLR's ablations at a small budget (11 P)

        SimCLR (Chen et al., 2020) owes its results to a handful of choices that the paper
        tests one at a time: the contrastive loss and the $\ell_2$ normalisation of the
        projections (Tables 2 and 4), the temperature (Table 5), the projection head
        (Figure 8) and the batch size (Figure 9); MoCo v2 (Chen et al., 2020b) reaches the
        same accuracy with small batches thanks to a queue of negatives. You write one of
        the alternative losses, NT-Logistic, then rerun the shape of each ablation on a
        budget that fits a laptop and compare with the paper.

        - **Task 1 (3 P, graded automatically):** the NT-Logistic loss.
        - **Questions (8 P, graded by hand):** what each ablation shows here, and how it
          compares with the paper's tables (given in each section).

        **How this is graded.** Your function is followed by a test cell: its visible
        checks tell you what is wrong, hidden tests then compare your function with the
        reference on other inputs. The grader runs the visible and hidden cases on your
        function outside the notebook; names in comments or scratch cells never matter.
        Do not call the library's NT-Logistic (`ssl_keras.losses.nt_logistic`,
        `NTLogistic`): a solution that does scores 0 for the task. The written answers are
        graded by hand: they earn their points by naming what the measured numbers show
        (or fail to show) and why, not by matching the paper.

        **Data and budget.** The embedded digits (`ssl_keras.load_digits()`: 1,258 training
        and 539 test images of 16x16 pixels, no download). Every setting pretrains the same
        small CNN from the same initial weights, then a linear probe and a kNN classifier
        judge its frozen features $h$. The encoder first standardizes each image to zero
        mean and unit variance (`small_cnn_encoder(standardize=True)`): the digits are
        drawn with a background and a stroke gray level chosen per image, and without it
        the encoders learn those gray levels, which the augmentations leave in both views,
        instead of the digits' shapes. The five ablations took """ + minutes() + r""" minutes
        on a shared 2-core CPU (one setting after another; a laptop is faster);
        `SSL_KERAS_FAST=1` runs only the first setting
        of each ablation at toy size in a couple of minutes (what CI and the autograder do):
        the numbers are then meaningless, only the code is checked. The paper trains a
        ResNet-50 on ImageNet for 100-1000 epochs with batches of 256-8192: expect only the
        large effects to show here.
        """),
        install(),
        setup("setup", imports="""
        %matplotlib inline
        import functools

        import matplotlib.pyplot as plt
        from keras import ops
        from ssl_keras_autograder.checks import ablations as checks

        import ssl_keras
        from ssl_keras.experiments import ablations
        """),
        markdown(r"""
        ## 0. Data and budget

        `BUDGET` holds the epochs, the encoder's width and the probe's epochs of every run
        (`ablations.BUDGET`, or `ablations.FAST_BUDGET` in the fast setting). `cache` lets
        a setting that appears in several ablations (NT-Xent with $\ell_2$ norm at
        $\tau = 0.2$, MLP head, batch 128) train only once.
        """),
        locked("""
        (x_train, y_train), (x_test, y_test) = ssl_keras.load_digits()
        BUDGET = ablations.FAST_BUDGET if FAST else ablations.BUDGET
        cache = {}
        print(f"{len(x_train)} training and {len(x_test)} test images of shape "
              f"{x_train.shape[1:]}, training images per class {np.bincount(y_train)}; {BUDGET}")
        """, "data"),
        markdown(r"""
        ## 1. The NT-Logistic loss (3 P)

        SimCLR's Table 2 compares NT-Xent with two older losses. For an anchor $u$ with
        positive $v^+$ and a negative $v^-$ (all $\ell_2$-normalised) NT-Logistic is

        $$\ell = -\log \sigma(u^\top v^+ / \tau) - \log \sigma(-u^\top v^- / \tau).$$

        Use the course's conventions (those of the NT-Xent you wrote): stack the views as
        $z = [z_a; z_b]$ ($2N$ rows); every row $i$ is an anchor whose positive $j$ is the
        other view of the same image and whose negatives are the $2N - 2$ other rows.
        Average the negative terms over the negatives, so that one positive and "one
        average negative" weigh the same whatever the batch size:

        $$\ell_i = -\log\sigma(s_{ij}/\tau)
        - \frac{1}{2N-2}\sum_{k \ne i, j} \log\sigma(-s_{ik}/\tau),
        \qquad L = \frac{1}{2N}\sum_{i=1}^{2N} \ell_i ,$$

        where $s_{ik}$ is the cosine similarity of rows $i$ and $k$ when `normalize=True`,
        and their plain dot product $z_i^\top z_k$ when `normalize=False` (the "without
        $\ell_2$ norm" rows of the paper's tables).

        **Task 1 (3 P).** Implement `nt_logistic_loss(z_a, z_b, temperature=0.5,
        normalize=True)`; it returns a scalar. Use `keras.ops` (imported as `ops`): your
        function also trains a model below, inside Keras's compiled training step, where
        NumPy cannot run. Without the norm the logits reach thousands: use
        $-\log\sigma(x) = \mathrm{softplus}(-x)$ with a stable softplus (`ops.softplus`,
        or `ops.logaddexp(0, x)`); `ops.log(ops.sigmoid(x))` returns $-\infty$ there.
        """),
        solution('''
        def nt_logistic_loss(z_a, z_b, temperature=0.5, normalize=True):
            """NT-Logistic over the 2N anchors of [z_a; z_b], negatives averaged.

            Args:
                z_a: (N, d) embeddings of the first views.
                z_b: (N, d) embeddings of the second views (row i is the positive of row i).
                temperature: positive float.
                normalize: cosine similarities if True, dot products if False.

            Returns:
                A scalar: the mean of the 2N per-anchor terms.
            """
            ### BEGIN SOLUTION
            z = ops.concatenate([ops.convert_to_tensor(z_a, "float32"),
                                 ops.convert_to_tensor(z_b, "float32")], axis=0)
            if normalize:
                z = z / ops.maximum(ops.norm(z, axis=1, keepdims=True), 1e-12)
            logits = ops.matmul(z, ops.transpose(z)) / temperature
            two_n = ops.shape(z)[0]
            index = ops.arange(two_n)
            positive_index = (index + two_n // 2) % two_n
            positive_mask = ops.cast(ops.equal(index[None, :], positive_index[:, None]), "float32")
            self_mask = ops.cast(ops.equal(index[None, :], index[:, None]), "float32")
            negative_mask = 1.0 - positive_mask - self_mask
            positive_term = ops.softplus(-ops.sum(logits * positive_mask, axis=1))
            negative_term = (ops.sum(ops.softplus(logits) * negative_mask, axis=1)
                             / ops.sum(negative_mask, axis=1))
            return ops.mean(positive_term + negative_term)
            ### END SOLUTION
        ''', "nt_logistic"),
        tests("""
        checks.check_nt_logistic_loss(nt_logistic_loss)
        """, "nt_logistic_tests", points=3),
        markdown(r"""
        ## 2. The loss and the $\ell_2$ norm: SimCLR's Tables 2 and 4 (2 P)

        `ssl_keras.models.SimCLR(objective=..., normalize=...)` accepts any two-view loss:
        a name of the library's losses (`"nt_xent"`, `"nt_logistic"`, `"margin_triplet"`)
        or a function `(z_a, z_b) -> loss` such as yours (the first row below trains with
        it). `normalize=False` replaces the cosine similarities by dot products. All runs
        use $\tau = 0.2$; the margin triplet uses $m = 1$.

        The paper (ResNet-50, ImageNet, linear evaluation top-1, Table 4; all with
        $\ell_2$ norm): margin triplet 50.9%, NT-Logistic 51.6%, with semi-hard negative
        mining 57.5% and 57.9%, NT-Xent 63.9%. Table 2's gradients explain it: NT-Xent
        weighs each negative by its softmax probability, so the hard negatives dominate.

        """ + measured_block("loss") + r"""
        """),
        locked("""
        yours = ablations.AblationSetting(
            "NT-Logistic (yours) with l2 norm",
            objective=functools.partial(nt_logistic_loss, temperature=0.2))
        loss_rows = BUDGET.run((yours, *ablations.LOSS_TABLE), x_train, y_train, x_test, y_test,
                               cache=cache)
        print(ablations.format_ablation_table(loss_rows, ("linear_probe", "knn", "final_loss")))
        ablations.plot_ablation(loss_rows, title="Table 2: loss and l2 norm")
        plt.show()
        """, "loss_ablation"),
        markdown(r"""
        **Question 2 (2 P).** Rank the three losses with $\ell_2$ norm by linear-probe
        accuracy and compare with the paper's ranking. Does removing the norm hurt, as in
        the paper? Which of the three losses suffers most without it, and why would an
        unbounded similarity be a problem for that loss (think of what each loss can do to
        lower itself when $u^\top v$ is not bounded by 1)?
        """),
        answer("loss_question", 2, r"""
        Measured here (linear probe): NT-Xent """ + value("loss", "NT-Xent with l2 norm")
        + r""", NT-Logistic """ + value("loss", "NT-Logistic with l2 norm") + r""", margin
        triplet """ + value("loss", "margin triplet with l2 norm") + r""" with the norm;
        without it """ + value("loss", "NT-Xent without l2 norm") + ", "
        + value("loss", "NT-Logistic without l2 norm") + ", "
        + value("loss", "margin triplet without l2 norm") + r""". A good answer compares
        the ranking with the paper's (NT-Xent > NT-Logistic > margin; differences of a few
        points on one seed and a tiny budget are within noise) and explains the role of the
        norm: with cosine similarities the logits are bounded by $1/\tau$, so the losses
        can only be lowered by arranging the *directions* (alignment of positives,
        uniformity of negatives). Without it the model can lower the loss by scaling the
        embeddings: the margin triplet is satisfied once positives and negatives differ by
        $m$ in dot product, which growing norms achieve trivially; NT-Logistic and NT-Xent
        can push logits to $\pm\infty$; the softmax of NT-Xent focuses on ever fewer
        negatives. Contrastive accuracy then rises while the features become worse for
        the downstream task (the paper: Table 5, "without $\ell_2$ norm" higher contrastive
        accuracy but lower linear evaluation).
        """),
        markdown(r"""
        ## 3. Temperature and $\ell_2$ norm: SimCLR's Table 5 (2 P)

        NT-Xent at $\tau \in \{0.05, 0.2, 1\}$, with and without the norm.

        The paper (NT-Xent, batch 4096, linear evaluation top-1): with $\ell_2$ norm
        $\tau = 0.05$: 59.7%, $0.1$: 64.4%, $0.5$: 60.7%, $1$: 58.0%; without it,
        $\tau = 10$: 57.2%, $100$: 57.0% (and the highest contrastive accuracies, 91-92%).

        """ + measured_block("temperature") + r"""
        """),
        locked("""
        temperature_rows = BUDGET.run(ablations.TEMPERATURE_TABLE, x_train, y_train, x_test,
                                      y_test, cache=cache)
        print(ablations.format_ablation_table(temperature_rows,
                                              ("linear_probe", "knn", "final_loss")))
        ablations.plot_ablation(temperature_rows, title="Table 5: temperature x l2 norm")
        plt.show()
        """, "temperature_ablation"),
        markdown(r"""
        **Question 3 (2 P).** Which temperature works best with the norm here, and is there
        an optimum in between, as in the paper? Why does the temperature matter much less
        (or differently) without the norm? Use what you learned about the temperature in
        the `temperature` notebook.
        """),
        answer("temperature_question", 2, r"""
        Measured with the norm: $\tau = 0.05$: """ + value("temperature", "tau=0.05 with l2 norm")
        + r""", $0.2$: """ + value("temperature", "tau=0.2 with l2 norm") + r""", $1$: """
        + value("temperature", "tau=1 with l2 norm") + r"""; without: """
        + value("temperature", "tau=0.05 without l2 norm") + ", "
        + value("temperature", "tau=0.2 without l2 norm") + ", "
        + value("temperature", "tau=1 without l2 norm") + r""". A good answer reads the
        optimum off the table and relates it to the paper's (an intermediate $\tau$, 0.1 on
        ImageNet, 0.5 on CIFAR-10): a small $\tau$ sharpens the softmax on the hardest
        negatives (possibly images of the same class, and noisy gradients), a large $\tau$
        weighs all negatives alike and the loss barely separates positives from negatives.
        With cosine similarities $\tau$ sets the scale of the logits ($|s/\tau| \le
        1/\tau$). Without the norm the network sets that scale itself through the norms of
        the embeddings, so $\tau$ is only an initial scale that the embedding norms can
        undo: the runs without the norm depend less on $\tau$ (the paper needs $\tau = 10$
        or 100 to train at all), and they are worse because the loss can be lowered by
        growing norms rather than by better directions.
        """),
        markdown(r"""
        ## 4. The projection head: SimCLR's Figure 8 (2 P)

        No head ($z = h$), a linear head and the MLP head (Dense-BN-ReLU-Dense), all with
        NT-Xent. Each encoder is judged twice: on its features $h$ (what SimCLR keeps) and
        on the head's output $g(h)$ (what the loss sees).

        The paper (Figure 8 and its table): the MLP head beats the linear one by about 3
        points and no head by more than 10, and $h$ is better than $g(h)$ by over 10 points
        (linear evaluation); $g(h)$ loses information the loss does not need: colour,
        rotation, whether the image was corrupted.

        """ + measured_block("head") + r"""
        """),
        locked("""
        head_rows = BUDGET.run(ablations.HEAD_FIGURE, x_train, y_train, x_test, y_test,
                               projection_features=True, cache=cache)
        columns = ("linear_probe", "linear_probe_projection", "knn", "knn_projection")
        print(ablations.format_ablation_table(head_rows, columns))
        ablations.plot_ablation(head_rows, columns=("linear_probe", "linear_probe_projection"),
                                title="Figure 8: projection head, h vs g(h)")
        plt.show()
        """, "head_ablation"),
        markdown(r"""
        **Question 4 (2 P).** Is $h$ better than $g(h)$ here, and does the MLP head help
        the features $h$ compared with no head? Explain with the paper's argument why the
        layer *before* the projection is the better representation.
        """),
        answer("head_question", 2, r"""
        Measured (linear probe on $h$ / on $g(h)$): no head """
        + value("head", "none head") + " / " + value("head", "none head",
                                                        "linear_probe_projection")
        + r""", linear """ + value("head", "linear head") + " / "
        + value("head", "linear head", "linear_probe_projection") + r""", MLP """
        + value("head", "mlp head") + " / " + value("head", "mlp head",
                                                    "linear_probe_projection") + r""".
        A good answer reads the table (with no head, $h = g(h)$ and both columns are
        equal) and gives the paper's argument: the contrastive loss makes $g(h)$ invariant
        to the augmentations (crop position, colour, ...), so $g(h)$ discards information
        that downstream tasks may need; the non-linear head absorbs that invariance, which
        lets $h$ keep more information. On small 16x16 digits with a short run the gap may
        be small or reversed: the answer should say so rather than repeat the paper.
        """),
        markdown(r"""
        ## 5. The batch size: SimCLR's Figure 9 (1 P)

        NT-Xent with batches of 32, 128 and 512 images (62, 254 and 1022 negatives per
        anchor) for the same number of epochs, hence 4x fewer steps per 4x larger batch.

        The paper (Figure 9, ResNet-50 on ImageNet, batches of 256 to 8192): larger batches
        help most with short training (100 epochs) and the gap shrinks with longer
        training (up to 800 epochs): more negatives per step, and longer training sees more
        negatives too.

        """ + measured_block("batch_size") + r"""
        """),
        locked("""
        batch_rows = BUDGET.run(ablations.BATCH_SIZE_FIGURE, x_train, y_train, x_test, y_test,
                                cache=cache)
        print(ablations.format_ablation_table(batch_rows, ("linear_probe", "knn", "final_loss")))
        ablations.plot_ablation(batch_rows, title="Figure 9: batch size")
        plt.show()
        """, "batch_size_ablation"),
        markdown(r"""
        **Question 5 (1 P).** Do larger batches help here? Name two things besides the
        number of negatives that change with the batch size in this experiment.
        """),
        answer("batch_size_question", 1, r"""
        Measured: batch 32 """ + value("batch_size", "batch 32") + r""", 128 """
        + value("batch_size", "batch 128") + r""", 512 """ + value("batch_size", "batch 512")
        + r""". A good answer reads the trend and names confounders: at a fixed number of
        epochs a larger batch makes fewer optimiser steps (1258 images: 40, 10 and 3
        steps per epoch), with the same learning rate (the paper scales it with the batch,
        $0.3 \times$ batch/256, and uses LARS); the batch-norm statistics are computed over
        more images; and 512 is 40% of the whole training set, so the negatives include
        many images of the anchor's own class (false negatives). The paper's gain from
        large batches comes with hundreds of epochs on 1.28 million images.
        """),
        markdown(r"""
        ## 6. MoCo against SimCLR (1 P)

        `ssl_keras.MoCo` keeps a queue of """ + QUEUE + r""" keys from a momentum encoder
        (an exponential moving average of the encoder, $m = """ + MOMENTUM + r"""$): each
        anchor has """ + QUEUE + r""" negatives even with a batch of 32, against 62 for
        SimCLR. Both runs use batch 32, the MLP head and $\tau = 0.2$. The queue is kept at
        most an eighth of the 1,258 training images: a queue that holds most of them gives
        nearly every query a key of its own image (another augmentation of it, from an
        older encoder) among its negatives. The momentum is """ + MOMENTUM + r""" rather
        than MoCo's 0.999, which is made for 100,000+ steps: over the """ + moco_steps()
        + r""" steps of this run 0.999 would move the key encoder only """
        + moco_drift("0.999") + r""" of the way from its initial weights to the encoder's
        (""" + MOMENTUM + ": " + moco_drift(MOMENTUM) + r""").

        The paper (MoCo v2, Table 2 of Chen et al. 2020b; ImageNet, 200 epochs, batch 256):
        MoCo v2 67.5% against SimCLR 61.9% at batch 256 and 66.6% at batch 8192.

        """ + measured_block("moco") + r"""
        """),
        locked("""
        moco_rows = BUDGET.run(ablations.MOCO_VS_SIMCLR, x_train, y_train, x_test, y_test,
                               cache=cache)
        print(ablations.format_ablation_table(moco_rows, ("linear_probe", "knn", "final_loss")))
        ablations.plot_ablation(moco_rows, title="MoCo vs SimCLR at batch 32")
        plt.show()
        """, "moco_ablation"),
        markdown(r"""
        **Question 6 (1 P).** Does the queue help at batch 32 here? Give one reason why a
        momentum encoder is needed for the queue to work (what would go wrong with keys
        from the current encoder stored for many steps?).
        """),
        answer("moco_question", 1, r"""
        Measured at batch 32: SimCLR """ + value("moco", "SimCLR, batch 32") + r""", MoCo """
        + value("moco", ablations.MOCO_VS_SIMCLR[1].label) + r""" by linear probe; kNN """
        + value("moco", "SimCLR, batch 32", "knn") + " and "
        + value("moco", ablations.MOCO_VS_SIMCLR[1].label, "knn") + r""", the untrained
        encoder """ + floor("knn") + r""". A good answer reads the comparison against the
        untrained encoder (more negatives per anchor, """ + QUEUE + r""" against 62, but keys
        from an encoder that lags behind the query encoder, on a short run) and
        explains the momentum encoder: keys in the queue were computed many steps ago; if
        they came from the rapidly changing query encoder they would be inconsistent with
        each other and with the current queries (the network could tell old keys from new
        ones), and the loss would be learned on stale, incomparable features. The slowly
        moving average keeps all queued keys close to one encoder, which makes a large,
        consistent dictionary possible without a large batch.
        """),
        code("""
        # Scratch space: run other settings here (this cell is not graded), e.g.
        # BUDGET.run([ablations.AblationSetting("tau=0.5", temperature=0.5)],
        #            x_train, y_train, x_test, y_test, cache=cache)
        """),
    ]


CELLS = build_cells()


def main() -> None:
    path = Path(__file__).resolve().parent / f"{NAME}.ipynb"
    write_notebook(build_cells(), path)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
