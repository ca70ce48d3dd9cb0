"""Builds temperature.ipynb: the softmax with a temperature (exercise sheet 8, task 1, 3 P).

Run `python assignments/temperature/make_notebook.py` to rewrite the notebook.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

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

NAME = "temperature"


def build_cells() -> list[dict]:
    return [
        markdown(r"""
        # Temperature in self-supervised learning (3 P)

        In this exercise you develop an intuition for how the **softmax** turns scores
        (logits, e.g. similarities) into probabilities, and how its **temperature** $\tau$
        shapes them. In contrastive learning the temperature decides how confident the
        model is about which candidate is the positive, and how strongly the loss focuses
        on the hardest negatives.

        $$\mathrm{softmax}_{\tau}(x_i) = \frac{\exp(x_i/\tau)}{\sum_{j} \exp(x_j/\tau)}$$

        **How this is graded.** The function you write (1 P) is followed by a test cell: its
        visible checks tell you what is wrong, hidden tests then compare your function with
        the reference on other inputs. The grader runs the visible and hidden cases on your
        function outside the notebook, and names in comments or scratch cells never matter.
        The questions (2 P) are graded by hand. Write your code where it says
        `YOUR CODE HERE` (delete the `raise NotImplementedError()`) with `keras.ops`
        (imported as `ops`) or NumPy; do not call a library softmax
        (`ops.softmax`, `keras.activations.softmax`, `ssl_keras.ops`, `scipy.special`...):
        a solution that does scores 0.
        """),
        install(),
        setup("setup", imports="""
        %matplotlib inline
        from keras import ops
        from ssl_keras_autograder.checks import temperature as checks

        from ssl_keras import evaluation
        """),
        markdown(r"""
        ## 1.1 The softmax with a temperature (1 P)

        **Task.** Implement `softmax_with_temperature(logits, temperature)`. It returns an
        array of the shape of `logits` whose last axis sums to 1; for a batch `(rows, n)`
        each row is its own distribution (`axis=-1`).

        It must also work for small temperatures: with cosine similarities near 1 and
        $\tau = 0.01$, $\exp(1/0.01) = e^{100}$ overflows float32 (largest value about
        $3.4 \cdot 10^{38}$) and a naive implementation returns NaN. The softmax does not
        change if the same number is subtracted from every logit, so subtract the maximum of
        $x/\tau$ first.
        """),
        solution('''
        def softmax_with_temperature(logits, temperature=1.0):
            """softmax(logits / temperature) along the last axis.

            Args:
                logits: array of shape (n,) or (rows, n).
                temperature: positive float.

            Returns:
                Array of the shape of `logits`; the last axis sums to 1.
            """
            ### BEGIN SOLUTION
            scaled = ops.convert_to_tensor(logits, "float32") / temperature
            scaled = scaled - ops.max(scaled, axis=-1, keepdims=True)
            exponentials = ops.exp(scaled)
            return exponentials / ops.sum(exponentials, axis=-1, keepdims=True)
            ### END SOLUTION
        ''', "softmax"),
        tests("""
        checks.check_softmax_with_temperature(softmax_with_temperature)
        """, "softmax_tests", points=1),
        markdown(r"""
        ### Visualising the effect of the temperature

        The similarity scores $[2.0, 1.0, 0.2, -0.5]$ through **your** softmax at
        $\tau \in \{0.1, 0.5, 1, 2, 5\}$, as bar plots
        (`ssl_keras.evaluation.plot_temperature_softmax` draws the bars of the function it
        is given), and the entropy of each distribution: 0 bits for a one-hot
        distribution, $\log_2 4 = 2$ bits for a uniform one over 4 candidates.
        """),
        locked("""
        similarities = np.array([2.0, 1.0, 0.2, -0.5], dtype="float32")
        temperatures = (0.1, 0.5, 1.0, 2.0, 5.0)
        print("  tau   probabilities                      entropy (bits)")
        for tau in temperatures:
            p = np.asarray(ops.convert_to_numpy(softmax_with_temperature(similarities, tau)))
            entropy = -np.sum(p * np.log2(np.maximum(p, 1e-30)))
            print(f"{tau:5.1f}   {np.array2string(p, precision=3, suppress_small=True):32s}"
                  f"   {entropy:.3f}")
        evaluation.plot_temperature_softmax(
            similarities, temperatures, softmax_function=softmax_with_temperature,
            tick_labels=["2.0", "1.0", "0.2", "-0.5"],
            title="Your softmax of [2.0, 1.0, 0.2, -0.5] at five temperatures")
        """, "softmax_plots"),
        markdown(r"""
        ## 1.2 Intuition: confidence vs. uncertainty (1 P)

        Think of the softmax output as a way to distribute attention or confidence over a set
        of candidates (e.g. nearest neighbours in feature space).

        **Question 1.2a (0.5 P).** What happens to the distribution when the temperature is
        very low (e.g. $\tau = 0.1$)? What does this mean in terms of model confidence?
        """),
        answer("low_temperature", 0.5, r"""
        The distribution becomes very sharp, close to one-hot: almost all of the probability
        goes to the largest score (here ~0.99995 for 2.0 at $\tau = 0.1$), the others get
        ~0, and the entropy is near 0. As $\tau \to 0$ the softmax becomes the arg-max. The
        model is (over)confident: small differences between the scores become decisive,
        it commits to one candidate and ignores the rest.
        """),
        markdown(r"""
        **Question 1.2b (0.5 P).** What happens when $\tau$ is very high (e.g. $\tau = 10$)?
        What does this mean for the model's ability to focus?
        """),
        answer("high_temperature", 0.5, r"""
        The distribution flattens towards uniform ($1/n$ for each candidate; entropy near its
        maximum $\log n$), because $x_i/\tau$ are all close to 0 and their differences vanish.
        The model is uncertain and cannot focus: every candidate gets about the same
        attention, so it barely distinguishes the best candidate from the others (as
        $\tau \to \infty$ the scores no longer matter at all).
        """),
        markdown(r"""
        ## 1.3 Why temperature matters in contrastive learning (1 P)

        In contrastive learning the model must identify the correct (positive) example among
        many negatives from similarity scores. Take the cosine similarities of an anchor with
        its positive (first) and four negatives,
        $[1.0\ (\text{positive}), 0.2, 0.1, -0.1, -0.3]$. The cell below computes your
        softmax at $\tau = 10$ and $\tau = 0.1$ and the NT-Xent term of this anchor,
        $-\log p(\text{positive})$.
        """),
        locked("""
        contrastive = np.array([1.0, 0.2, 0.1, -0.1, -0.3], dtype="float32")
        for tau in (10.0, 0.1):
            p = np.asarray(ops.convert_to_numpy(softmax_with_temperature(contrastive, tau)))
            print(f"tau = {tau:4}: p = {np.array2string(p, precision=4)}   "
                  f"p(positive) = {p[0]:.4f}   loss -log p(positive) = {-np.log(p[0]):.4f}")
        evaluation.plot_temperature_softmax(
            contrastive, (10.0, 1.0, 0.5, 0.1), softmax_function=softmax_with_temperature,
            tick_labels=["positive", "neg 1", "neg 2", "neg 3", "neg 4"], positive_index=0,
            title="Softmax over one positive and four negatives")
        """, "contrastive_example"),
        markdown(r"""
        **Question 1.3 (1 P).** Which temperature gives the positive example the highest
        probability? Discuss: why might a sharper distribution (lower $\tau$) help the model
        learn more effectively?
        """),
        answer("contrastive_temperature", 1, r"""
        $\tau = 0.1$: the positive gets $p \approx 0.9995$ (against $\approx 0.22$ at
        $\tau = 10$, barely above the uniform $0.2$). With cosine similarities bounded in
        $[-1, 1]$, a high temperature squeezes all logits into a narrow range
        ($[-0.1, 0.1]$ at $\tau = 10$), so even a clearly more similar positive cannot stand
        out, the loss stays near $\log(\#\text{candidates})$ and its gradients carry little
        signal about *which* candidates are wrong. A lower temperature amplifies the
        differences: the loss (and its gradient) depends mostly on the negatives that are
        most similar to the anchor - the *hard negatives* - so the model learns to push
        exactly those away and to separate positives clearly, which gives more
        discriminative, better spread (uniform) representations. Too low a temperature
        over-focuses on a few negatives (possibly false negatives of the same class) and
        makes training unstable, so $\tau$ is a tuned hyper-parameter (SimCLR: 0.5 on
        CIFAR-10, 0.1 on ImageNet).
        """),
        code("""
        # Scratch space: try other scores and temperatures here (this cell is not graded).
        """),
    ]


CELLS = build_cells()


def main() -> None:
    path = Path(__file__).resolve().parent / f"{NAME}.ipynb"
    write_notebook(build_cells(), path)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
