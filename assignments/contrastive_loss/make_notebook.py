"""Builds contrastive_loss.ipynb: cosine similarity, NT-Xent, positives-only, L_a + L_d.

Sources: the contrastive-loss theory sheet (exercise sheet 1: the decomposition
tau * L = L_a + L_d and the lecture questions) and the JAX SimCLR practical (tasks 2-7:
cosine similarity, NT-Xent for a batch, the positives-only loss).

Run `python assignments/contrastive_loss/make_notebook.py` to rewrite the notebook.
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

NAME = "contrastive_loss"


def build_cells() -> list[dict]:
    return [
        markdown(r"""
        # Contrastive loss: cosine similarity, NT-Xent and what it is made of

        SimCLR learns by comparison: two augmented views of the same image (a **positive
        pair**) should get similar embeddings, views of different images (**negative
        pairs**) dissimilar ones. In this notebook you write the pieces of its loss
        yourself, with array operations only:

        1. the cosine similarity, row by row and for all pairs (4 P);
        2. the NT-Xent loss of a whole batch (6 P);
        3. the positives-only loss, and what goes wrong with it (2 P + questions);
        4. the decomposition $\tau\mathcal{L} = \mathcal{L}_a + \mathcal{L}_d$ into an
           alignment and a uniformity term (4 P + questions);
        5. lecture questions on pretext tasks, collapse and zero-shot classification.

        **How this is graded.** Each function you write is followed by a test cell. The
        visible checks in it tell you what is wrong; hidden tests then compare your
        function with the reference on other inputs. The grader runs the visible and
        hidden cases on your functions outside the notebook (a mistake in one function
        costs only its own task), and names in comments or scratch cells never matter.
        Write your code where it says `YOUR CODE HERE` (delete the
        `raise NotImplementedError()`), and your answers in the answer cells. Use
        `keras.ops` (imported as `ops`) or NumPy, **no Python loops** (`for`, `while`,
        comprehensions): a batch is a matrix, and the matrix version is
        what you would use in practice. Do not call ssl_keras's or Keras's own
        similarity and loss functions in your solutions: a solution that only calls them
        scores 0 for that task.

        Total: 16 P for code, 21 P for written answers.
        """),
        install(),
        setup("setup", imports="""
        %matplotlib inline
        from keras import ops
        from ssl_keras_autograder.checks import contrastive_loss as checks

        from ssl_keras import evaluation
        """),
        markdown(r"""
        ## 1. Cosine similarity (4 P)

        For two $d$-dimensional embeddings,

        $$\mathrm{sim}(u, v) = \frac{u^\top v}{\|u\|\,\|v\|} \in [-1, 1].$$

        **Task 1a (2 P).** Implement `cosine_similarity(z1, z2)` for two batches of shape
        `(batch, dim)`. It returns shape `(batch,)`: the similarity of row `i` of `z1` with
        row `i` of `z2`. A zero vector has no direction: clamp each norm from below at
        `1e-6` so that it gets similarity 0 instead of NaN.

        *Hint:* normalise the rows first (`ops.norm(x, axis=-1, keepdims=True)`), then the
        similarity is a dot product per row. `keepdims=True` avoids broadcasting trouble.
        """),
        solution('''
        def cosine_similarity(z1, z2):
            """Row-wise cosine similarity.

            Args:
                z1, z2: arrays of shape (batch, dim).

            Returns:
                Array of shape (batch,): sim(z1[i], z2[i]).
            """
            ### BEGIN SOLUTION
            z1 = ops.convert_to_tensor(z1, "float32")
            z2 = ops.convert_to_tensor(z2, "float32")
            z1 = z1 / ops.maximum(ops.norm(z1, axis=-1, keepdims=True), 1e-6)
            z2 = z2 / ops.maximum(ops.norm(z2, axis=-1, keepdims=True), 1e-6)
            return ops.sum(z1 * z2, axis=-1)
            ### END SOLUTION
        ''', "cosine_similarity"),
        tests("""
        checks.check_cosine_similarity(cosine_similarity)
        """, "cosine_similarity_tests", points=2),
        markdown(r"""
        **Task 1b (2 P).** The loss compares every view with every other view, so it needs
        the matrix of **all pairwise** similarities. Implement
        `pairwise_cosine_similarity(a, b)`: for `a` of shape `(n_a, dim)` and `b` of shape
        `(n_b, dim)` it returns the `(n_a, n_b)` matrix with entry `[i, j]` =
        $\mathrm{sim}(a_i, b_j)$. One matrix product, no loop.
        """),
        solution('''
        def pairwise_cosine_similarity(a, b):
            """All-pairs cosine similarity.

            Args:
                a: array of shape (n_a, dim).
                b: array of shape (n_b, dim).

            Returns:
                Array of shape (n_a, n_b): entry [i, j] is sim(a[i], b[j]).
            """
            ### BEGIN SOLUTION
            a = ops.convert_to_tensor(a, "float32")
            b = ops.convert_to_tensor(b, "float32")
            a = a / ops.maximum(ops.norm(a, axis=-1, keepdims=True), 1e-6)
            b = b / ops.maximum(ops.norm(b, axis=-1, keepdims=True), 1e-6)
            return ops.matmul(a, ops.transpose(b))
            ### END SOLUTION
        ''', "pairwise_cosine_similarity"),
        tests("""
        checks.check_pairwise_cosine_similarity(pairwise_cosine_similarity)
        """, "pairwise_cosine_similarity_tests", points=2),
        markdown(r"""
        **Question 1c (2 P).** Why not simply measure how close two embeddings are by the
        length of their difference, $\|z_1 - z_2\|$? Which problems could occur there
        that the cosine similarity avoids?
        """),
        answer("distance_vs_cosine", 2, r"""
        The Euclidean distance depends on the *lengths* of the embeddings, not only on their
        directions. An encoder could lower the loss just by scaling: shrinking all
        embeddings towards 0 makes every distance small (positives "close" without
        learning anything, a trivial/collapsed solution), and blowing them up makes
        negatives "far". The distance is also unbounded, so terms like
        $\exp(-\|z_i - z_k\|)$ or $\exp(\|\cdot\|/\tau)$ can under/overflow and the scale of
        the loss depends on the scale of the features. The cosine similarity only
        compares directions (it is invariant to the norm), is bounded in $[-1, 1]$, so
        the temperature alone sets the sharpness of the softmax, and it cannot be
        improved by rescaling. (On the unit sphere the two are equivalent:
        $\|u - v\|^2 = 2 - 2\,\mathrm{sim}(u, v)$, which is why SimCLR L2-normalises.)
        """),
        markdown(r"""
        ## 2. NT-Xent for a batch (6 P)

        A batch of $N$ images gives $2N$ views, stacked as $z = [z_a; z_b]$ (SimCLR's
        Algorithm 1): view $i < N$ has its positive at $j = i + N$ and view $i \ge N$ at
        $j = i - N$. Every view is an **anchor** whose positive must be recognised among
        the $2N - 1$ other views:

        $$\ell_{i,j} = -\log \frac{\exp(\mathrm{sim}(z_i, z_j)/\tau)}
        {\sum_{k=1}^{2N} \mathbb{1}_{[k \ne i]} \exp(\mathrm{sim}(z_i, z_k)/\tau)},
        \qquad
        \mathcal{L} = \frac{1}{2N} \sum_{i=1}^{2N} \ell_{i, j(i)} .$$

        "The final loss is computed across all positive pairs, both $(i, j)$ and $(j, i)$"
        (Chen et al., 2020): the loss is the **mean over the $2N$ anchors**. (Some
        libraries sum the two directions and report twice this value.)

        **Task 2 (6 P).** Implement `nt_xent(z_a, z_b, temperature)` for embeddings of
        shape `(N, dim)`; it returns a scalar.

        *Hints.* (1) Build the `(2N, 2N)` matrix of all pairwise similarities of the stacked
        views with your function from 1b. (2) The denominator leaves out only $k = i$ (the
        anchor with itself); the positive is in it. Replacing the diagonal by a very
        negative number (`ops.where` with `ops.eye(2 * n) > 0`) removes it from the sum.
        (3) $\ell_{i,j} = \log\sum_{k \ne i}\exp(\cdot) - \mathrm{sim}(z_i, z_j)/\tau$:
        `ops.logsumexp` computes the first term without overflow. (4) The positives'
        columns are `[N, ..., 2N-1, 0, ..., N-1]`; `ops.take_along_axis` picks one entry per
        row. (5) $\ell_{i,j} \ne \ell_{j,i}$ in general: compute both.
        """),
        solution('''
        def nt_xent(z_a, z_b, temperature=0.5):
            """NT-Xent loss of SimCLR, the mean over the 2N anchors.

            Args:
                z_a: embeddings of the first views, shape (N, dim).
                z_b: embeddings of the second views, shape (N, dim); z_b[i] is the
                    positive of z_a[i].
                temperature: the temperature tau > 0.

            Returns:
                A scalar.
            """
            ### BEGIN SOLUTION
            z = ops.concatenate([ops.convert_to_tensor(z_a, "float32"),
                                 ops.convert_to_tensor(z_b, "float32")], axis=0)
            n = z_a.shape[0]
            logits = pairwise_cosine_similarity(z, z) / temperature
            # Remove k = i from the denominator.
            logits = ops.where(ops.eye(2 * n) > 0, -1e9, logits)
            positive_index = ops.concatenate([ops.arange(n, 2 * n), ops.arange(0, n)])
            positives = ops.take_along_axis(logits, positive_index[:, None], axis=1)[:, 0]
            return ops.mean(ops.logsumexp(logits, axis=1) - positives)
            ### END SOLUTION
        ''', "nt_xent"),
        tests("""
        checks.check_nt_xent(nt_xent)
        """, "nt_xent_tests", points=6),
        markdown(r"""
        Two sanity checks that need no reference implementation. If all $2N$ embeddings
        are equal, every candidate is as similar as the positive and
        $\mathcal{L} = \log(2N - 1)$, whatever $\tau$: the model is guessing. If the two
        views of each image agree and different images are orthogonal,
        $\mathcal{L} = \log(1 + (2N - 2)e^{-1/\tau})$, which goes to 0 as $\tau \to 0$. The
        cell below evaluates your loss on both, and on random views, for several
        temperatures, and draws the similarity matrix your loss works on.
        """),
        locked("""
        N = 8
        rng = np.random.default_rng(0)
        collapsed = np.ones((N, 16), "float32")
        orthonormal = np.eye(N, 16, dtype="float32")
        z_a = rng.normal(size=(N, 16)).astype("float32")
        z_b = z_a + 0.3 * rng.normal(size=(N, 16)).astype("float32")
        print("  tau   collapsed  log(2N-1)   orthonormal  closed form   noisy views")
        for tau in (0.05, 0.1, 0.5, 1.0, 5.0):
            closed_form = np.log(1 + (2 * N - 2) * np.exp(-1 / tau))
            orthonormal_loss = float(nt_xent(orthonormal, orthonormal, tau))
            print(f"{tau:5.2f}  {float(nt_xent(collapsed, collapsed, tau)):9.4f}  "
                  f"{np.log(2 * N - 1):9.4f}   {orthonormal_loss:11.4f}"
                  f"  {closed_form:11.4f}   {float(nt_xent(z_a, z_b, tau)):11.4f}")
        evaluation.plot_similarity_matrix(z_a, z_b, title="Two noisy views of 8 random vectors")
        """, "nt_xent_demo"),
        markdown(r"""
        ## 3. Only positives? (2 P + 4 P questions)

        Why bother with negatives at all? The simplest loss would only pull the two views of
        each image together:

        $$\mathcal{L}_{\text{pos}} = -\frac{1}{N}\sum_{i=1}^{N} \mathrm{sim}(z_{a,i}, z_{b,i}).$$

        **Question 3a (2 P).** Before you implement and run it: what would you change in
        `nt_xent` to use only the positive pairs, and what do you expect to happen when an
        encoder is trained with this loss?
        """),
        answer("positives_only_prediction", 2, r"""
        Drop the denominator (the negatives): the loss becomes minus the (mean) cosine
        similarity of the positive pairs. Nothing then pushes different images apart,
        so the encoder can reach the minimum $-1$ trivially by mapping every input to the
        same vector (or a constant direction): a **representation collapse**. The loss
        drops to about $-1$ almost immediately while the embeddings carry no information
        about the image (embedding spread ~0, linear probe near chance).
        """),
        markdown(r"""
        **Task 3b (2 P).** Implement `positives_only_loss(z_a, z_b)`: minus the mean cosine
        similarity of the $N$ positive pairs (a scalar in $[-1, 1]$).
        """),
        solution('''
        def positives_only_loss(z_a, z_b):
            """-mean_i sim(z_a[i], z_b[i]): the positive pairs only, no negatives."""
            ### BEGIN SOLUTION
            return -ops.mean(cosine_similarity(z_a, z_b))
            ### END SOLUTION
        ''', "positives_only_loss"),
        tests("""
        checks.check_positives_only_loss(positives_only_loss)
        """, "positives_only_loss_tests", points=2),
        markdown(r"""
        Now the experiment, in miniature: a small MLP embeds $2N = 64$ noisy views of 32
        random vectors and is trained for 60 steps, once with the positives-only loss and
        once with NT-Xent (ssl_keras's implementations, which train on every backend). The
        **embedding std** (`ssl_keras.models.embedding_std`: the spread of the normalised
        embeddings over the batch, about $1/\sqrt{d} = 0.25$ when well spread, 0 when
        collapsed) is the collapse monitor. The full-size version, with a CNN on images,
        is in the `simclr` notebook.
        """),
        locked("""
        from ssl_keras.losses import NTXent, PositivesOnlyLoss
        from ssl_keras.models import embedding_std

        rng = np.random.default_rng(0)
        points = rng.normal(size=(32, 20)).astype("float32")
        views = np.concatenate([points + 0.3 * rng.normal(size=points.shape),
                                points + 0.3 * rng.normal(size=points.shape)]).astype("float32")
        steps = 60
        for name, loss in (("positives only", PositivesOnlyLoss()),
                           ("NT-Xent, tau=0.5", NTXent(temperature=0.5))):
            keras.utils.set_random_seed(0)
            mlp = keras.Sequential([keras.Input((20,)), keras.layers.Dense(64, activation="relu"),
                                    keras.layers.Dense(16)])
            before = float(embedding_std(mlp.predict(views, verbose=0)))
            mlp.compile(optimizer=keras.optimizers.Adam(1e-2), loss=loss)
            # Every batch is [views_a; views_b] in order, as the two-view losses expect.
            history = mlp.fit(np.tile(views, (steps, 1)), np.zeros(len(views) * steps),
                              batch_size=len(views), shuffle=False, verbose=0)
            z = mlp.predict(views, verbose=0)
            print(f"{name:17s} loss {history.history['loss'][-1]:7.3f}   embedding std "
                  f"{before:.3f} -> {float(embedding_std(z)):.3f}   "
                  f"your nt_xent on them: {float(nt_xent(z[:32], z[32:], 0.5)):.3f}")
        """, "collapse_demo"),
        markdown(r"""
        **Question 3c (2 P).** What did you observe? What does a positives-only loss close
        to $-1$ tell you about the average relationship of the compared embeddings, and
        how useful would you expect these embeddings to be on unseen data?
        """),
        answer("positives_only_observation", 2, r"""
        The positives-only loss goes to about $-1$: the two views of every image have
        cosine similarity ~1. But the embedding std falls (towards 0) - the embeddings of
        *all* inputs move to (nearly) the same direction, so different images are as
        similar as two views of the same one (NT-Xent evaluated on them is near its
        chance value $\log(2N-1)$). A loss of $-1$ therefore only says that the compared
        embeddings are (almost) identical, not that they are informative: the
        representation has collapsed and is useless for unseen data (a linear probe on it
        is near chance). With NT-Xent the negatives keep the embeddings spread out (std near
        $1/\sqrt{d}$). Methods such as BYOL, SimSiam or Barlow Twins avoid collapse without
        negatives by other means (predictor + stop-gradient, redundancy reduction).
        """),
        markdown(r"""
        ## 4. Alignment and uniformity (4 P + 7 P questions)

        Taking the logarithm of the NT-Xent fraction apart splits the loss into two forces,
        $\tau\mathcal{L} = \mathcal{L}_a + \mathcal{L}_d$.
        With the mean over the $2N$ anchors $i$ and $j = j(i)$ the positive of $i$:

        $$\mathcal{L}_a = -\frac{1}{2N}\sum_{i=1}^{2N} \mathrm{sim}(z_i, z_j), \qquad
        \mathcal{L}_d = \frac{\tau}{2N}\sum_{i=1}^{2N} \log \sum_{k=1}^{2N}
        \mathbb{1}_{[k \ne i]} \exp(\mathrm{sim}(z_i, z_k)/\tau).$$

        (The exercise sheet writes $\frac{1}{N}\sum_{i,j \in MB}$; counted per anchor as
        here, it is the same normalisation as the loss itself, so the identity below holds
        exactly.)

        **Question 4a (4 P).** Show that $\tau\mathcal{L} = \mathcal{L}_a + \mathcal{L}_d$.
        What is the purpose of $\mathcal{L}_a$ and of $\mathcal{L}_d$ in the loss?
        """),
        answer("decomposition_derivation", 4, r"""
        Per anchor, $\ell_{i,j} = -\log\frac{e^{s_{ij}/\tau}}{\sum_{k\ne i} e^{s_{ik}/\tau}}
        = -\frac{s_{ij}}{\tau} + \log\sum_{k\ne i} e^{s_{ik}/\tau}$ with
        $s_{ik} = \mathrm{sim}(z_i, z_k)$. Averaging over the $2N$ anchors and multiplying
        by $\tau$:
        $\tau\mathcal{L} = -\frac{1}{2N}\sum_i s_{ij} + \frac{\tau}{2N}\sum_i
        \log\sum_{k\ne i} e^{s_{ik}/\tau} = \mathcal{L}_a + \mathcal{L}_d$.

        $\mathcal{L}_a$ (alignment) rewards consistent representations of the augmented
        views of the same image: it pulls positives together (it is exactly the
        positives-only loss). $\mathcal{L}_d$ (uniformity / distribution term) is a soft
        maximum of each anchor's similarities to all other views; minimising it pushes all
        representations apart, making them match a high-entropy (uniform) distribution on
        the sphere. It is what prevents representation collapse and spreads the
        embeddings over the whole space.
        """),
        markdown(r"""
        **Task 4b (1 P).** Implement `alignment_loss(z_a, z_b)` = $\mathcal{L}_a$. (Compare
        it with your `positives_only_loss`.)
        """),
        solution('''
        def alignment_loss(z_a, z_b):
            """L_a: minus the mean similarity of each anchor with its positive."""
            ### BEGIN SOLUTION
            return -ops.mean(cosine_similarity(z_a, z_b))
            ### END SOLUTION
        ''', "alignment_loss"),
        tests("""
        checks.check_alignment_loss(alignment_loss)
        """, "alignment_loss_tests", points=1),
        markdown(r"""
        **Task 4c (3 P).** Implement `uniformity_loss(z_a, z_b, temperature)` =
        $\mathcal{L}_d$. The test cell also tells you whether your three functions satisfy
        $\tau \cdot$ `nt_xent` $=$ `alignment_loss` $+$ `uniformity_loss` (a note, not
        graded).
        """),
        solution('''
        def uniformity_loss(z_a, z_b, temperature=0.5):
            """L_d: tau times the mean over anchors of log sum_{k != i} exp(sim / tau)."""
            ### BEGIN SOLUTION
            z = ops.concatenate([ops.convert_to_tensor(z_a, "float32"),
                                 ops.convert_to_tensor(z_b, "float32")], axis=0)
            n = z_a.shape[0]
            logits = pairwise_cosine_similarity(z, z) / temperature
            logits = ops.where(ops.eye(2 * n) > 0, -1e9, logits)
            return temperature * ops.mean(ops.logsumexp(logits, axis=1))
            ### END SOLUTION
        ''', "uniformity_loss"),
        tests("""
        checks.check_uniformity_loss(uniformity_loss)
        # A note only (never a failure): do your three functions add up?
        checks.check_decomposition(nt_xent, alignment_loss, uniformity_loss)
        """, "uniformity_loss_tests", points=3),
        markdown(r"""
        The two terms for the three situations above, at $\tau = 0.5$: collapsed embeddings
        are perfectly aligned ($\mathcal{L}_a = -1$) but pay the largest uniformity term;
        views that agree while images stay apart get both terms low.
        """),
        locked("""
        tau = 0.5
        for name, (first, second) in {"collapsed": (collapsed, collapsed),
                                      "orthonormal, views agree": (orthonormal, orthonormal),
                                      "noisy views": (z_a, z_b)}.items():
            l_a = float(alignment_loss(first, second))
            l_d = float(uniformity_loss(first, second, tau))
            scaled_loss = tau * float(nt_xent(first, second, tau))
            print(f"{name:26s} L_a = {l_a:7.4f}   L_d = {l_d:7.4f}   "
                  f"L_a + L_d = {l_a + l_d:7.4f}   tau * L = {scaled_loss:7.4f}")
        """, "decomposition_demo"),
        markdown(r"""
        **Question 4d (3 P).** How does the temperature $\tau$ influence the distance between
        representations?
        """),
        answer("temperature_influence", 3, r"""
        $\tau$ calibrates the softmax over the similarities. Since the logits are cosine
        similarities bounded in $[-1, 1]$, $1/\tau$ sets how far apart the logits can be.
        A low temperature gives a low-entropy (sharp) distribution: small differences in
        similarity become large differences in probability, so the loss concentrates on
        the hardest negatives (those closest to the anchor) and pushes them away strongly;
        representations end up more separated / more uniformly spread, and positives must
        be clearly closer than every negative. A high temperature makes the softmax more
        uniform: all negatives are weighted almost equally, the differences between
        similarities matter little, the repulsion is weak and representations of
        different images may stay closer together (in the limit the uniformity term
        barely depends on the embeddings and alignment dominates). Too low a temperature
        makes training unstable / treats near-duplicates as hard negatives.
        """),
        markdown(r"""
        ## 5. Lecture questions (8 P)

        **Question 5a (2 P).** What is a pretext task? Give four examples of pretext tasks.
        """),
        answer("pretext_tasks", 2, r"""
        A pretext task is an auxiliary task whose objective needs no human labels: the
        targets are generated automatically from a property inherent in the data itself,
        and solving it forces the network to learn useful representations for downstream
        tasks. Examples: masking and reconstruction (masked autoencoders, inpainting),
        the contrastive objective (recognise the other view of an image), colourisation
        (predict colour from grayscale), jigsaw puzzles (predict the permutation of
        patches), rotation prediction, super-resolution, relative patch position.
        """),
        markdown(r"""
        **Question 5b (2 P).** What is a representation collapse, and how is it prevented in
        SimCLR?
        """),
        answer("collapse", 2, r"""
        A representation collapse means the encoder maps all inputs to the same point (e.g.
        $0 \in \mathbb{R}^d$ or one constant vector), so the representation carries no
        information; it trivially satisfies an objective that only asks positive pairs to
        agree. SimCLR prevents it with negative samples: the other images of the batch
        appear in the denominator of NT-Xent, whose minimisation pushes their
        representations apart (the uniformity term $\mathcal{L}_d$).
        """),
        markdown(r"""
        **Question 5c (2 P).** An image/text model has an image encoder $f$ and a text encoder
        $g$, both producing a representation $z \in \mathbb{R}^d$. Given text labels
        $t_1, \dots, t_k$ describing $k$ classes and an image $x$, how do you compute the
        predicted class $c$ (zero-shot classification)?
        """),
        answer("zero_shot", 2, r"""
        Take the class whose text embedding is most similar (cosine) to the image embedding:
        $$c = \operatorname{argmax}_{i = 1, \dots, k}
        \frac{f(x)^\top g(t_i)}{\|f(x)\|\,\|g(t_i)\|}.$$
        (In practice the labels are put into prompts such as "a photo of a {label}".)
        """),
        markdown(r"""
        **Question 5d (2 P).** Name two applications of representations learned with a
        pretext task other than a classification downstream task.
        """),
        answer("other_applications", 2, r"""
        Any two of: clustering; semantic search / (image) retrieval and near-duplicate
        detection; anomaly / out-of-distribution detection; finding independent
        components; matching them to other modalities (e.g. text, as in CLIP);
        initialising detection/segmentation networks (transfer); visualisation.
        """),
        code("""
        # Scratch space: try things here (this cell is not graded).
        """),
    ]


CELLS = build_cells()


def main() -> None:
    path = Path(__file__).resolve().parent / f"{NAME}.ipynb"
    write_notebook(build_cells(), path)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
