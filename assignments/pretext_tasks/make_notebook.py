"""Builds assignments/pretext_tasks/pretext_tasks.ipynb (run this file to regenerate it)."""

import sys
import textwrap
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import measured  # noqa: E402
from notebook_builder import (  # noqa: E402
    install,
    locked,
    markdown,
    setup,
    solution,
    tests,
    write_notebook,
    written_answer,
)

# The tables, indented like the text around them (the builder dedents each cell).
TABLES = {dataset: textwrap.indent(measured.pretext_table(dataset), " " * 8)
          for dataset in ("digits", "cifar10")}
PROBES = measured.probe_variants()

# The reference task (Task 4's solution, a left-right flip) in the full setting, measured
# with the solution's batch function on the jax backend, 2-core CPU shared with other jobs,
# 2026-12-01 (the script ran the lines below and printed the rows):
#   task = pretext.PretextTask("flip", my_pretext_batch, num_classes=2)
#   compare_pretext_tasks("digits", epochs=20, width=16, probe_epochs=50, learning_rate=2e-3,
#                         batch_size=128, seed=0, methods=("random_init", "flip"),
#                         custom_tasks=[task])
# Its random-init row (67.3% / 58.4%) is the table's: same weights, same evaluation.
FLIP = {"probe": "70.9%", "knn": "51.4%", "pretext": "98.2%"}
FLIP_MODEL_ANSWER = (
    "Measured for the reference task (a left-right flip) in the full setting (jax, "
    "2-core CPU): linear probe " + FLIP["probe"] + ", kNN " + FLIP["knn"] + ", flip "
    "accuracy " + FLIP["pretext"] + " at the last epoch, against random init "
    + measured.accuracy("digits", "random_init") + " / "
    + measured.accuracy("digits", "random_init", key="knn_accuracy") + ", rotation "
    + measured.accuracy("digits", "rotation") + " / "
    + measured.accuracy("digits", "rotation", key="knn_accuracy") + " and jigsaw "
    + measured.accuracy("digits", "jigsaw") + " / "
    + measured.accuracy("digits", "jigsaw", key="knn_accuracy") + ". As predicted it "
    "lands just above random init and beside rotation and jigsaw by linear probe, and, "
    "like them, below random init by kNN: the features separate the digits a little "
    "better linearly, but their neighbourhoods are organised by something else. The "
    "flip is solved almost perfectly, better than the nearly symmetric 0, 1 and 8 would "
    "allow if the network had to read the digit: handwriting leans to the right, and a "
    "mirrored digit leans to the left, a cue shared by every digit that says nothing of "
    "its identity (a likely shortcut, not tested here). Solving the task well therefore "
    "did not make a much better representation. A change that should help: remove the "
    "cue, e.g. shear every image by a random slant before flipping, so that the network "
    "must look at the digit's shape; or ask for more, e.g. the 8 rotations and flips of "
    "the square (8 classes)."
)

CELLS = [
    markdown(
        """
        # Pretext tasks: rotation, jigsaw, colorization and one of your own (16 P)

        Before contrastive learning, self-supervised learning invented *pretext tasks*:
        a supervised problem whose labels come for free from the images themselves. The
        network solves the pretext task, and we keep its encoder as a representation.

        1. **Rotation** (Gidaris et al., 2018): rotate an image by 0, 90, 180 or 270
           degrees and predict the angle (4 classes).
        2. **2x2 jigsaw** (after Noroozi and Favaro, 2016): cut the image into 4 tiles,
           shuffle them with one of the 4! = 24 permutations, and predict the permutation.
        3. **Colorization** (Zhang et al., 2016): predict the colour image from its
           grayscale version (a regression with a small decoder, MSE loss).
        4. **Your own**: a pretext task you invent, trained and compared like the three
           others.

        You implement the data transform of each task (Tasks 1-4), then compare the four
        encoders with a **random-init baseline** (the same encoder, untrained) and a
        **supervised upper bound** (the same encoder trained with the labels), by linear
        probe, kNN and t-SNE of their features. Every method trains the same small CNN
        (`ssl_keras.models.small_cnn_encoder`) from the same initial weights.

        **How this is graded (16 points).** Tasks 1-4 (7 points, autograded: 2 + 2 + 1 +
        2): each task's test cell runs its visible checks; the grader also runs hidden
        cases on your functions, outside the notebook, and does not let them call
        `ssl_keras.pretext`'s own transforms (names in comments or scratch cells never
        matter). Task 4 has no single right answer: its checks test that your task is a
        *valid* pretext task (the list is in Section 4), not which task it is. Questions
        1-5 (9 points: 2 + 2 + 2 + 1 + 2) are written answers, graded by hand; Questions 1
        and 5 are about your task: what it forces the encoder to learn and your
        prediction before the comparison, then how it compares after.

        **Data.** The embedded handwritten digits (`ssl_keras.data.load_digits`: 1,258
        training and 539 test images of 16x16, gray digits at random positions with
        noise), so that nothing is downloaded. The course used CIFAR-10 and claims rotation
        ~55%, jigsaw ~52%, colorization ~45%, random ~28%, SimCLR ~65-70% and supervised
        ~75-85% linear probe. The same comparison on CIFAR-10 at the course's budget, as
        measured (""" + measured.pretext_caption("cifar10") + """):

""" + TABLES["cifar10"] + """

        SimCLR leads the pretext tasks and rotation and jigsaw beat the random encoder, as
        in the course, but two figures differ from its claims. The random encoder is far
        above ~28%. Part of it is the probe, which standardises the frozen features: on a
        subset of """ + PROBES["train"] + """ training images the random encoder's probe
        gives """ + PROBES["random"] + """ standardised and """ + PROBES["random_raw"] + """
        on raw features, still far above the course's figure. And colorization is no better
        than random init. Its encoder learns from gray images and is probed on colour ones,
        but that is not the reason: after """ + str(PROBES["epochs"]) + """ epochs on the
        same subset its probe gives """ + PROBES["colour"] + """ on colour and
        """ + PROBES["gray"] + """ on gray images, both below the random encoder's
        """ + PROBES["random"] + """. A likely cause, not tested here, is the loss: this
        colorization regresses colours with a mean squared error, which a grayish
        average colour already nearly minimises, whereas Zhang et al. classify quantised
        colours, with rare colours weighted up, to force the network to commit.

        **Fast and full settings.** `SSL_KERAS_FAST=1` (CI and the autograder) trains each
        method for one epoch on 256 digits with a tiny CNN, evaluates on 256 test digits,
        skips SimCLR and embeds few points with t-SNE: it checks that everything runs,
        and its accuracies mean nothing (all near 25-40%). The full setting (default) is
        the benchmark's:
        `compare_pretext_tasks("digits", epochs=20, width=16, learning_rate=2e-3)`, with
        SimCLR and your own task as more rows (about a minute of training per method on
        a 2-core CPU). Its measured results (""" + measured.pretext_caption("digits") + """):

""" + TABLES["digits"] + """

        Other backends draw other random numbers: expect the same order, with figures a
        few points apart.
        """
    ),
    install(),
    setup(
        "setup",
        imports="""
        import matplotlib.pyplot as plt
        from IPython.display import Markdown, display
        from ssl_keras_autograder.checks import pretext_tasks as checks

        from ssl_keras import pretext
        from ssl_keras.data import load_digits
        from ssl_keras.evaluation import extract_features, plot_tsne
        from ssl_keras.pretext import LUMA_WEIGHTS, jigsaw_permutations
        """,
    ),
    locked(
        """
        (x_train, y_train), (x_test, y_test) = load_digits(seed=0)
        print("training images", x_train.shape, x_train.dtype, "test images", x_test.shape)
        figure, axes = plt.subplots(1, 8, figsize=(10, 1.6))
        for axis, image, label in zip(axes, x_train, y_train):
            axis.imshow(image)
            axis.set_title(str(label))
            axis.axis("off")
        plt.show()
        """,
        "data",
    ),
    markdown(
        """
        ## 1. Rotation prediction

        **Task 1 (2 points).** Implement `rotation_batch(images)`. For images
        `(N, S, S, C)`, return `(rotated, labels)`: `rotated` has shape `(4N, S, S, C)`
        and holds every image in its four rotations, grouped by image (row `4 * i + k` is
        image `i` rotated by `k` quarter turns **counter-clockwise**, as `np.rot90` on the
        height and width axes), and `labels` `(4N,)` holds `k`. Keep the values and dtype
        of the images. RotNet feeds all four rotations of an image in the same batch.
        """
    ),
    solution(
        """
        def rotation_batch(images):
            \"\"\"Each image in its 4 rotations (rows 4i + k) and the labels k, shape (4N,).\"\"\"
            ### BEGIN SOLUTION
            images = np.asarray(images)
            rotated = np.stack(
                [np.rot90(images, k, axes=(1, 2)) for k in range(4)], axis=1
            )  # (N, 4, S, S, C)
            labels = np.tile(np.arange(4), len(images))
            return rotated.reshape((-1,) + images.shape[1:]), labels
            ### END SOLUTION
        """,
        "rotation",
    ),
    tests(
        """
        checks.check_rotation_batch(rotation_batch)
        """,
        "rotation_tests",
        points=2,
    ),
    locked(
        """
        rotated, labels = rotation_batch(x_train[:2])
        figure, axes = plt.subplots(1, 8, figsize=(10, 1.6))
        for axis, image, label in zip(axes, rotated, labels):
            axis.imshow(image)
            axis.set_title(f"{90 * label} deg")
            axis.axis("off")
        plt.show()
        """,
        "rotation_examples",
    ),
    markdown(
        """
        ## 2. 2x2 jigsaw puzzles

        Cut an image of even height and width into four tiles, numbered row-major
        (0 top-left, 1 top-right, 2 bottom-left, 3 bottom-right). `jigsaw_permutations()`
        lists the 24 permutations of `(0, 1, 2, 3)` in lexicographic order; the label of a
        puzzle is the row index `j` of its permutation `p`.

        **Task 2 (2 points).** Implement `jigsaw_shuffle(images, permutation_indices)`:
        for images `(N, H, W, C)` and one index `j_i` in `[0, 24)` per image, return the
        images with their tiles rearranged so that grid position `t` of output image `i`
        holds tile `p[t]` of input image `i`, where `p = jigsaw_permutations()[j_i]`. The
        output has the shape of the input.
        """
    ),
    solution(
        """
        PERMUTATIONS = jigsaw_permutations()  # (24, 4)


        def jigsaw_shuffle(images, permutation_indices):
            \"\"\"Output position t of image i holds tile PERMUTATIONS[indices[i]][t].\"\"\"
            ### BEGIN SOLUTION
            images = np.asarray(images)
            n, height, width, channels = images.shape
            h, w = height // 2, width // 2
            tiles = images.reshape(n, 2, h, 2, w, channels).transpose(0, 1, 3, 2, 4, 5)
            tiles = tiles.reshape(n, 4, h, w, channels)  # tiles in row-major order
            order = PERMUTATIONS[np.asarray(permutation_indices)]  # (n, 4)
            shuffled = tiles[np.arange(n)[:, None], order]  # (n, 4, h, w, c)
            grid = shuffled.reshape(n, 2, 2, h, w, channels).transpose(0, 1, 3, 2, 4, 5)
            return grid.reshape(n, height, width, channels)
            ### END SOLUTION
        """,
        "jigsaw",
    ),
    tests(
        """
        checks.check_jigsaw_shuffle(jigsaw_shuffle)
        """,
        "jigsaw_tests",
        points=2,
    ),
    locked(
        """
        indices = np.array([0, 1, 6, 9, 14, 17, 21, 23])
        puzzles = jigsaw_shuffle(np.repeat(x_train[:1], 8, axis=0), indices)
        figure, axes = plt.subplots(1, 8, figsize=(10, 1.8))
        for axis, image, index in zip(axes, puzzles, indices):
            axis.imshow(image)
            axis.set_title("".join(map(str, PERMUTATIONS[index])), fontsize=9)
            axis.axis("off")
        plt.show()
        """,
        "jigsaw_examples",
    ),
    markdown(
        """
        ## 3. Colorization

        **Task 3 (1 point).** Implement `colorization_pair(images)`: for RGB images
        `(N, H, W, 3)` in `[0, 255]`, return `(grayscale, targets)`, both float32 of shape
        `(N, H, W, 3)`: `grayscale` holds the luma
        `0.2989 R + 0.587 G + 0.114 B` (`LUMA_WEIGHTS`, ITU-R BT.601, as torchvision)
        copied into three identical channels, so that the RGB encoder takes it unchanged;
        `targets` are the colour images themselves. No rounding.
        """
    ),
    solution(
        """
        def colorization_pair(images):
            \"\"\"Grayscale inputs (3 identical channels) and colour targets, both float32.\"\"\"
            ### BEGIN SOLUTION
            targets = np.asarray(images, dtype="float32")
            luma = targets @ np.asarray(LUMA_WEIGHTS, dtype="float32")
            grayscale = np.repeat(luma[..., None], 3, axis=-1)
            return grayscale, targets
            ### END SOLUTION
        """,
        "colorization",
    ),
    tests(
        """
        checks.check_colorization_pair(colorization_pair)
        """,
        "colorization_tests",
        points=1,
    ),
    markdown(
        """
        ## 4. A pretext task of your own

        The JAX practical on SimCLR puts it this way: *"Come up with a simple pretext task
        yourself [...]. But don't simply use rotation, come up with something yourself!
        Hint: Your program can change anything about the image and use information about
        that change to create a label."* Here you also implement it, and the comparison
        below trains and evaluates it beside the built-in tasks. It may be a
        classification (which of K changes did you make?) or a regression (predict a
        number, or pixels you hid).

        **Task 4 (2 points).** Write `my_pretext_batch(images, seed)` and describe it with
        `my_pretext_task = pretext.PretextTask(name, my_pretext_batch, num_classes=K)`
        (class labels) or `pretext.PretextTask(name, my_pretext_batch, target_shape=S)`
        (a regression).

        - `images` is a batch of digits as above: uint8, shape `(N, 16, 16, 3)`, values in
          `[0, 255]` (gray: the three channels are equal), for any `N >= 1`. `seed` is an
          integer: draw every random number from `rng = np.random.default_rng(seed)`, so
          that the same images and seed give the same batch (the comparison passes a new
          seed for every batch).
        - Return `(inputs, targets)`, **one example per image**: `inputs` of shape
          `(N, 16, 16, 3)`, uint8 or float32 with values in `[0, 255]` (what the encoder
          sees); `targets` either integer labels of shape `(N,)` in `[0, K)`, or float32
          values of shape `(N,) + S` (`S = ()` for one number per image; scale them to
          about `[0, 1]`, e.g. pixels divided by 255).
        - Compute the targets from the images and the change you make, **nothing else**:
          not the digits' labels, no dataset loader, and not `ssl_keras.pretext`'s own
          transforms (`rotation_dataset`, `rotate_images`, `jigsaw_dataset`,
          `jigsaw_shuffle`, `colorization_dataset`, `rgb_to_grayscale`; the grader refuses
          them in this task). Write it with NumPy or `keras.ops`; your functions of Tasks
          1-3 may help.
        - `name` is a short name of your own, your row in the table (not `rotation`,
          `jigsaw` or another method's).

        The comparison trains the same small CNN on your task, from the same initial
        weights and with the same budget as the built-in tasks (epochs, batch size,
        optimizer, learning-rate schedule), with a linear head on its features: `K`
        logits and softmax cross-entropy, or `prod(S)` outputs and the mean squared error.

        **What the checks test** (the visible ones below, hidden ones on handwritten
        digits, other batch sizes and seeds): the spec is complete; every batch has the
        format above, for any `N`; the same images and seed give the same inputs and
        targets; the targets are not all the same over 64 images; identical inputs get
        identical targets (a target must be computable from its input: a random label
        that the input does not show cannot be learnt); and the comparison trains an
        encoder on your task and reports its linear probe and kNN accuracies. Any task
        that passes them earns the 2 points, however simple. What it is worth is what
        Questions 1 and 5 ask.
        """
    ),
    solution(
        """
        def my_pretext_batch(images, seed):
            \"\"\"(inputs, targets) of a batch, one example per image, from the images alone.\"\"\"
            ### BEGIN SOLUTION
            rng = np.random.default_rng(seed)
            flipped = rng.integers(0, 2, size=len(images))  # 1: mirrored left-right
            inputs = np.where(flipped[:, None, None, None] == 1, images[:, :, ::-1], images)
            return inputs, flipped
            ### END SOLUTION


        # my_pretext_task = pretext.PretextTask("a_name", my_pretext_batch, num_classes=K)
        # my_pretext_task = pretext.PretextTask("a_name", my_pretext_batch, target_shape=S)
        ### BEGIN SOLUTION
        my_pretext_task = pretext.PretextTask("flip", my_pretext_batch, num_classes=2)
        ### END SOLUTION
        """,
        "my_pretext",
    ),
    tests(
        """
        checks.check_my_pretext_task(my_pretext_task)
        """,
        "my_pretext_tests",
        points=2,
    ),
    locked(
        """
        inputs, targets = my_pretext_task(x_train[:8], seed=0)
        figure, axes = plt.subplots(1, 8, figsize=(10, 1.8))
        for axis, image, target in zip(axes, inputs, targets):
            axis.imshow(np.clip(image, 0, 255).astype("uint8"))
            shown = f"{target:.3g}" if np.ndim(target) == 0 else f"shape {np.shape(target)}"
            axis.set_title(f"target {shown}", fontsize=9)
            axis.axis("off")
        plt.suptitle(f"{my_pretext_task.name}: inputs and targets of 8 training digits")
        plt.show()
        """,
        "my_pretext_examples",
    ),
    markdown(
        """
        **Question 1 (2 points), before you run the comparison.** Describe your task in
        two or three sentences: what you change in an image and what the target is. What
        must the encoder learn about digits to solve it, and could it solve it through a
        shortcut that teaches it nothing about the digit? Then predict where its linear
        probe will land in the table, against the random-init baseline and rotation, and
        say why.
        """
    ),
    written_answer(
        "my_pretext_question",
        points=2,
        solution_text="""
        (For the reference task, a left-right flip.) Each image is mirrored left-right
        with probability 1/2 and the label says whether it was (2 classes). To tell a
        mirrored digit from a real one, the encoder must know how digits are drawn: which
        way a 2, 3, 5, 7 or 9 faces (a 3 opens to the left, a 7 comes down from the
        right end of its bar).
        Nearly symmetric digits (0, 1, 8) give little signal. The position, gray levels
        and noise of these digits do not depend on left and right, but a shortcut
        remains: handwriting leans one way, and a mirrored digit leans the other, which
        the network can see without knowing which digit it is. Prediction: a little above
        random init, close to rotation, which asks for the same kind of knowledge with 4
        classes instead of 2, and far below supervised.

        Grading: 1 point for a clear description of the change and the target together
        with a specific account of what the encoder must learn (not "features" in
        general); 1 point for a considered shortcut (or why there is none) and a
        prediction with a reason. A prediction is graded on its reasoning, not on being
        right. A built-in task under another name (rotation by quarter turns, a 2x2
        jigsaw, colorization) earns at most 1 point, as the task asks for a new idea.
        """,
    ),
    markdown(
        """
        ## 5. The comparison

        `pretext.compare_pretext_tasks` trains a fresh copy of the same encoder (same
        initial weights) with each method, freezes it, and fits a linear probe and a kNN
        classifier on its features of the labelled training digits; accuracies are on the
        test digits. It uses `ssl_keras.pretext`'s own transforms, which compute exactly
        what your first three functions compute (the checks above compare them), drawing
        new rotations and puzzles for every batch, and your `my_pretext_task` (passed as
        `custom_tasks`), with a new seed for every batch.
        """
    ),
    locked(
        """
        # Your task's row (if Task 4's cell ran), after the built-in pretext tasks.
        custom_tasks = [my_pretext_task] if "my_pretext_task" in globals() else []
        pretext_rows = ("random_init", "rotation", "jigsaw", "colorization") + tuple(
            task.name for task in custom_tasks)
        if FAST:  # 256 training and 256 test digits: one batch shape, fewer compilations
            DATASET = ((x_train[:256], y_train[:256]), (x_test[:256], y_test[:256]))
            SETTINGS = dict(epochs=1, width=8, probe_epochs=5,
                            methods=pretext_rows + ("supervised",))
        else:
            DATASET = "digits"
            SETTINGS = dict(epochs=20, width=16, probe_epochs=50,
                            methods=pretext_rows + ("simclr", "supervised"))
        encoders = {}
        results = pretext.compare_pretext_tasks(
            DATASET, learning_rate=2e-3, batch_size=128, seed=0, verbose=0,
            custom_tasks=custom_tasks,
            on_trained=lambda method, encoder: encoders.__setitem__(method, encoder),
            **SETTINGS,
        )
        display(Markdown(pretext.format_comparison_table(results)))
        display(pretext.plot_comparison(results))
        """,
        "comparison",
    ),
    markdown(
        """
        ### t-SNE of the test features

        Each panel embeds the frozen encoder's features of test digits in 2D, coloured by
        the true digit (which no pretext task saw).
        """
    ),
    locked(
        """
        from threadpoolctl import threadpool_limits

        tsne_images, tsne_labels = (x_test[:150], y_test[:150]) if FAST else (x_test, y_test)
        for method, encoder in encoders.items():
            features = extract_features(encoder, tsne_images, verbose=0)
            # One thread: scikit-learn's t-SNE threads are many times slower on a busy CPU.
            with threadpool_limits(1):
                figure = plot_tsne(features, tsne_labels, title=f"t-SNE: {method}",
                                   perplexity=15.0 if FAST else 30.0)
            display(figure)
        """,
        "tsne",
    ),
    markdown(
        """
        **Question 2 (2 points).** Rank the methods by linear-probe accuracy in the full
        setting (or in the table above). Which pretext tasks beat the random-init baseline,
        and by how much? Why is colorization so weak on these digits? (The course expects
        it to help on CIFAR-10.)
        """
    ),
    written_answer(
        "ranking_question",
        points=2,
        solution_text="""
        Full setting: """ + measured.ranking("digits") + """. Rotation and jigsaw beat the
        random encoder by only """ + measured.gap("digits", "rotation") + """ and """
        + measured.gap("digits", "jigsaw") + """ points of linear probe (kNN: """
        + measured.gap("digits", "rotation", key="knn_accuracy", signed=True) + """ and """
        + measured.gap("digits", "jigsaw", key="knn_accuracy", signed=True) + """), the supervised
        ceiling is """ + measured.gap("digits", "supervised") + """ points above random
        init. The random small CNN is a strong floor on these simple shapes
        (""" + measured.accuracy("digits", "random_init") + """). Colorization falls below
        random init because the digits are gray: the "colour" target equals the grayscale
        input, so the task degenerates into an autoencoder through a 256-d bottleneck that
        keeps intensities, positions and noise rather than the digit's identity. On
        CIFAR-10 predicting colour requires recognising objects (sky is blue, grass green),
        which is why the course expects it to help there (measured at this budget it did
        not beat random init: see the note under the CIFAR-10 table).
        """,
    ),
    markdown(
        """
        **Question 3 (2 points).** What must a network understand to predict an image's
        rotation or to solve a jigsaw puzzle? Name one shortcut with which it could solve
        the pretext task without learning useful features, and how the literature avoids
        it.
        """
    ),
    written_answer(
        "shortcut_question",
        points=2,
        solution_text="""
        To tell the rotation, the network must know the canonical orientation of objects
        (where the top of a digit or a head is, that the sky is up), which needs their
        shape and parts; for a jigsaw it must know which part of an object goes where
        (the spatial layout of parts). Shortcuts: low-level cues that reveal the answer
        without semantics. For the jigsaw, continuity of edges and textures across tile
        borders and chromatic aberration tell neighbouring tiles apart, so Noroozi and
        Favaro leave random gaps between tiles, jitter them and use colour jitter or
        grayscale; for rotation, artefacts such as black borders or the position of the
        noise/padding (and on these digits the stroke direction of a few classes) can
        reveal the angle, and rotation-invariant content (a 0 or an 8) gives no signal
        at all. Pretext accuracy is therefore not a measure of representation quality:
        here rotation reaches 93% on the pretext task yet barely beats random features.
        """,
    ),
    markdown(
        """
        **Question 4 (1 point).** What do the t-SNE plots show that the accuracies do not,
        and why should t-SNE not be used to rank the methods?
        """
    ),
    written_answer(
        "tsne_question",
        points=1,
        solution_text="""
        t-SNE shows the structure of the feature space: with supervised (and to a lesser
        extent SimCLR) features the digits form separate clusters, while for the random,
        rotation, jigsaw and colorization encoders the classes overlap, often organised by
        nuisances (brightness, position). But t-SNE is a non-linear, stochastic embedding
        that preserves local neighbourhoods only: cluster sizes and distances between
        clusters are not meaningful, results change with perplexity and seed, and it can
        show clusters that a linear classifier cannot use. Rankings should come from the
        linear probe and kNN accuracies.
        """,
    ),
    markdown(
        """
        **Question 5 (2 points).** Compare your task's row with your prediction
        (Question 1) and with rotation, jigsaw and colorization, by linear probe and kNN
        (in the full setting if you can run it; in the fast one the accuracies mean
        little, so say which you read). Did it beat the random-init baseline? Its pretext
        metric says how well it solved its own task: did solving it well go with a
        better probe? Explain the difference from your prediction, and name one change to
        your task that you expect to help, and why.
        """
    ),
    written_answer(
        "my_pretext_comparison_question",
        points=2,
        solution_text="""
        """ + FLIP_MODEL_ANSWER + """

        Grading: 1 point for reading the row correctly against random init and the
        built-in tasks (both metrics, the right setting named) and comparing it with the
        prediction; 1 point for an explanation tied to what the task asks of the encoder
        (e.g. how many images carry a signal, a shortcut, a task solved too easily or not
        at all, as the pretext metric shows) and a change motivated by it. A task that
        loses to random init earns full points if the answer explains why; numbers that
        contradict the table earn none.
        """,
    ),
]


if __name__ == "__main__":
    print(write_notebook(CELLS, HERE / "pretext_tasks.ipynb"))
