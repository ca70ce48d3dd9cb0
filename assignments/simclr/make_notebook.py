"""Builds simclr.ipynb: SimCLR end to end (exercise sheet 8 task 2 and the JAX practical).

Students write the two-view augmentation, the projection head, the feature extraction
with the frozen encoder, and the linear probe with its accuracy; the notebook trains
`ssl_keras.models.SimCLR` with their augmentation and head, and evaluates with their
extraction and probe (1% and 100% of the labels, the temperature ablation, the comparison
table). NT-Xent, the encoder, kNN, t-SNE and the similarity plots come from the package.

Run `python assignments/simclr/make_notebook.py` to rewrite the notebook.
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

# This notebook's own cells (the solutions in place) run in the full setting through the
# linear-probe table by `benchmarks/simclr_notebook.py`.
NOTEBOOK_RUN = measured.load("simclr_notebook_digits_jax.json")


def _measured(row: str, column: str) -> str:
    return measured.percent(NOTEBOOK_RUN["results"][row][column])


DIGITS = {
    "where": measured._machine(NOTEBOOK_RUN),
    "labelled": NOTEBOOK_RUN["labelled_1_percent"],
    **{f"{key}_{suffix}": _measured(row, column)
       for key, row in (("simclr", "SimCLR"), ("random", "random init"),
                        ("positives", "positives only"))
       for suffix, column in (("probe", "linear 100%"), ("probe_1", "linear 1%"),
                              ("knn", "kNN 100%"))
       if NOTEBOOK_RUN["results"][row][column] == NOTEBOOK_RUN["results"][row][column]},
}
_RESULTS = NOTEBOOK_RUN["results"]
GAINS = {  # SimCLR against random init, with all labels and with 1%: points and ratio
    fraction: (f"{100 * (_RESULTS['SimCLR'][column] - _RESULTS['random init'][column]):+.0f}",
               f"{_RESULTS['SimCLR'][column] / _RESULTS['random init'][column]:.1f}")
    for fraction, column in (("all", "linear 100%"), ("1%", "linear 1%"))
}
CIFAR = {
    "simclr": measured.accuracy("cifar10", "simclr"),
    "simclr_knn": measured.accuracy("cifar10", "simclr", "knn_accuracy"),
    "random": measured.accuracy("cifar10", "random_init"),
    "supervised": measured.accuracy("cifar10", "supervised"),
}
DIGITS_RESULTS = (
    f"SimCLR {DIGITS['simclr_probe']} linear probe / {DIGITS['simclr_knn']} kNN against "
    f"{DIGITS['random_probe']} / {DIGITS['random_knn']} at random init, and "
    f"{DIGITS['simclr_probe_1']} against {DIGITS['random_probe_1']} with 1% of the labels "
    f"({DIGITS['labelled']} images)"
)
CIFAR_RESULTS = (
    f"{CIFAR['simclr']} linear probe (all labels) and {CIFAR['simclr_knn']} kNN, against "
    f"{CIFAR['random']} at random init and {CIFAR['supervised']} supervised (measured with "
    "ssl_keras's own projection head, which has batch norm, and its probe, on the course's "
    f"JPEG copy of CIFAR-10: {measured.pretext_where('cifar10')}; the course's own claim "
    "is 60-70%)"
)

NAME = "simclr"


def build_cells() -> list[dict]:
    return [
        markdown(r"""
        # SimCLR: contrastive self-supervised learning (22 P)

        You train an encoder to recognise two differently augmented views of the same image
        among the views of all other images of a batch (SimCLR, Chen et al. 2020), then
        judge the representation it learned: t-SNE, a linear probe with 1% and 100% of the
        labels, the similarities of positive and negative pairs, and a comparison with a
        random encoder, a collapsed one and supervised training.

        - **Task 1 (4 P, graded automatically):** the two-view augmentation.
        - **Task 2 (2 P, graded automatically):** the projection head.
        - **Task 3 (2 P, graded automatically):** feature extraction with the frozen encoder.
        - **Task 4 (3 P, graded automatically):** training the linear probe.
        - **Task 5 (1 P, graded automatically):** the probe's accuracy.
        - **Questions (10 P, graded by hand):** predictions and interpretations of each
          experiment.

        The notebook trains SimCLR with your augmentation and your head, and evaluates it
        with your feature extraction and your probe. The NT-Xent loss (you wrote it in the
        `contrastive_loss` notebook), the encoder, the training loop, kNN, t-SNE and the
        plots come from `ssl_keras`.

        **How this is graded (22 points).** Tasks 1-5 (12 points, autograded: 4 + 2 + 2 + 3
        + 1): each task's test cell runs its visible checks; the grader also runs hidden
        cases on your code, outside the notebook, and refuses calls to the library's own
        implementation of what the task teaches (`SimCLRAugmentation`, `ProjectionHead`,
        `ssl_keras.evaluation`'s `extract_features` and `linear_probe`, ready-made
        classifiers and accuracy metrics; names in comments or scratch cells never matter).
        A task's points need all its cases to pass. Questions 3a-5b (10 points: 1 + 1 + 1
        + 2 + 1 + 2 + 2) are written answers, graded by hand.

        **Data and settings.** By default the notebook uses the embedded digits dataset
        (`ssl_keras.load_digits()`: 1,797 real handwritten digits drawn at random
        positions and gray levels on noisy 16x16 images; no download) with the course's
        pretraining settings (`ssl_keras.experiments.config_for`: 40 epochs, batch 128,
        temperature 0.2; a few minutes on a laptop CPU).
        Measured by running this notebook's solution with these settings (""" + DIGITS["where"]
        + r"""): **""" + DIGITS_RESULTS + r"""** for the same encoder (other backends draw other
        random numbers, and your probe trains its own way: expect a few points apart).
        To run the course setting on CIFAR-10, add a cell with
        `%env SSL_KERAS_DATASET=cifar10` (downloads CIFAR-10 once) or
        `%env SSL_KERAS_CIFAR10_DIR=<folder of cifar-10-batches-py>` above the data cell
        and run the notebook from there (small CNN, batch 256, 10 epochs: expect about
        **""" + CIFAR_RESULTS + r"""**; use a GPU, a CPU takes hours).
        `SSL_KERAS_FAST=1` runs everything at toy size (what CI and the autograder do; about
        two minutes on a busy 2-core CPU): the numbers are then meaningless, only the code
        is checked.
        """),
        install(),
        setup("setup", imports="""
        %matplotlib inline
        import os
        import time

        import matplotlib.pyplot as plt
        from keras import ops
        from ssl_keras_autograder.checks import simclr as checks
        from threadpoolctl import threadpool_limits

        import ssl_keras
        from ssl_keras import evaluation
        from ssl_keras.experiments import build_encoder, config_for, train_method
        """),
        markdown(r"""
        ## 0. Data

        The cell below loads the data and the settings (`config`, the course's
        pretraining preset for the dataset; FAST shrinks it). Labels are used only to
        *evaluate* representations, never to learn them (the online probe that `SimCLR`
        trains on the side sees the labels through a stop-gradient).
        """),
        locked("""
        DATASET = os.environ.get("SSL_KERAS_DATASET") or (
            "cifar10" if os.environ.get("SSL_KERAS_CIFAR10_DIR") else "digits")
        if FAST:
            DATASET = "digits"
        if DATASET == "cifar10":
            try:
                (x_train, y_train), (x_test, y_test) = ssl_keras.load_cifar10()
                class_names = ssl_keras.data.CIFAR10_CLASS_NAMES
            except (FileNotFoundError, RuntimeError) as error:
                print(f"CIFAR-10 is not available ({error}); using the digits instead.")
                DATASET = "digits"
        if DATASET == "digits":
            (x_train, y_train), (x_test, y_test) = ssl_keras.load_digits()
            class_names = ssl_keras.data.DIGITS_CLASS_NAMES
        config = config_for(DATASET)
        if FAST:  # toy size: checks that the code runs, numbers mean nothing
            config = config_for(DATASET, epochs=1, width=8, batch_size=128, probe_epochs=2,
                                train_limit=256, tsne_points=150)
        if config.train_limit:
            x_train, y_train = x_train[:config.train_limit], y_train[:config.train_limit]
        HEIGHT, WIDTH = x_train.shape[1:3]
        print(f"{DATASET}: {len(x_train)} training and {len(x_test)} test images of shape "
              f"{x_train.shape[1:]}; {config.epochs} epochs, batch {config.batch_size}, "
              f"temperature {config.temperature}, encoder {config.encoder} "
              f"(width {config.width})")
        """, "data"),
        markdown(r"""
        ## 1. The two-view augmentation (4 P)

        SimCLR draws two augmentations $t, t' \sim \mathcal{T}$ for every image $x$ and
        trains on the pair $(t(x), t'(x))$. The paper's pipeline for CIFAR-10 (appendix A
        and B.9; no Gaussian blur for small images), applied to **each view independently
        and with independent randomness for every image**:

        1. random resized crop to `(height, width)`, area fraction in `crop_scale`
           (`ssl_keras.layers.RandomResizedCrop(height, width, scale=...)`);
        2. horizontal flip with probability `flip_probability`
           (`ssl_keras.layers.RandomHorizontalFlip`);
        3. colour jitter of strength $s$ (brightness, contrast, saturation $0.8s$, hue
           $0.2s$), applied with probability `color_jitter_probability`
           (`ssl_keras.layers.RandomApply(ssl_keras.layers.RandomColorJitter(s), probability)`);
        4. grayscale with probability `grayscale_probability`
           (`ssl_keras.layers.RandomGrayscale`).

        **Task 1 (4 P).** Complete the Keras layer `TwoViewAugmentation`: build the four
        layers in `__init__`, apply them in order in `augment` (one view), and return two
        independently drawn views in `call`. Values stay in $[0, 255]$ (the encoder rescales
        by itself). Give every random layer its own seed derived from `seed` (e.g.
        `seed + 1_000_003 * i` for layer `i`; `None` stays `None`), so that the same seed
        gives the same views. Call each layer with `training=True`. Do not use
        `ssl_keras.layers.SimCLRAugmentation` (that is the answer).

        The checks use settings whose result is known exactly: with `crop_scale=(1, 1)` and
        all probabilities 0 both views are the images themselves; with
        `flip_probability=1` they are mirrored; with `grayscale_probability=1` gray.
        The grader also runs hidden cases of this kind on your class outside the notebook,
        where `SimCLRAugmentation` cannot be called (names in comments or scratch cells
        never matter).
        """),
        solution('''
        class TwoViewAugmentation(keras.layers.Layer):
            """SimCLR's stochastic augmentation, drawn twice: `(t(x), t'(x))`."""

            def __init__(self, height, width, crop_scale=(0.08, 1.0), flip_probability=0.5,
                         color_jitter_strength=0.5, color_jitter_probability=0.8,
                         grayscale_probability=0.2, seed=None, **kwargs):
                super().__init__(**kwargs)
                ### BEGIN SOLUTION
                def layer_seed(index):
                    return None if seed is None else seed + 1_000_003 * index

                self.crop = ssl_keras.layers.RandomResizedCrop(
                    height, width, scale=crop_scale, seed=layer_seed(1))
                self.flip = ssl_keras.layers.RandomHorizontalFlip(
                    flip_probability, seed=layer_seed(2))
                self.color_jitter = ssl_keras.layers.RandomApply(
                    ssl_keras.layers.RandomColorJitter(color_jitter_strength, seed=layer_seed(3)),
                    probability=color_jitter_probability, seed=layer_seed(4))
                self.grayscale = ssl_keras.layers.RandomGrayscale(
                    grayscale_probability, seed=layer_seed(5))
                ### END SOLUTION

            def augment(self, images):
                """One view of a batch of images (batch, H, W, 3) in [0, 255]."""
                ### BEGIN SOLUTION
                x = self.crop(images, training=True)
                x = self.flip(x, training=True)
                x = self.color_jitter(x, training=True)
                return self.grayscale(x, training=True)
                ### END SOLUTION

            def call(self, images, training=True):
                """Returns (view_a, view_b), two independent augmentations of `images`."""
                ### BEGIN SOLUTION
                return self.augment(images), self.augment(images)
                ### END SOLUTION
        ''', "augmentation"),
        tests("""
        checks.check_TwoViewAugmentation(TwoViewAugmentation)
        """, "augmentation_tests", points=4),
        markdown(r"""
        Six training images (top) and two views of each drawn by your layer:
        """),
        locked("""
        augmentation = TwoViewAugmentation(HEIGHT, WIDTH, crop_scale=(config.crop_min_scale, 1.0),
                                           seed=config.seed)
        originals = x_train[:6]
        view_a, view_b = augmentation(originals)
        figure, axes = plt.subplots(3, 6, figsize=(8, 4.2))
        for row, (name, batch) in enumerate((("image", originals), ("view a", view_a),
                                             ("view b", view_b))):
            batch = np.asarray(ops.convert_to_numpy(batch)).astype("uint8")
            for column in range(6):
                axes[row, column].imshow(batch[column])
                axes[row, column].axis("off")
            axes[row, 0].set_title(name, fontsize=9, loc="left")
        plt.show()
        """, "show_views"),
        markdown(r"""
        ## 2. The SimCLR model: encoder and projection head (2 P)

        SimCLR passes every view through the encoder $f$ (here the course's small CNN,
        whose representation $h = f(x)$ has 256 dimensions), then through a small MLP, the
        **projection head** $g$, whose output $z = g(h)$ is what NT-Xent compares: "We use a
        MLP with one hidden layer to obtain $z_i = g(h_i) = W^{(2)}\sigma(W^{(1)} h_i)$
        where $\sigma$ is a ReLU non-linearity" (Sec. 2.1). The head is discarded after
        pretraining: the representation *before* it, $h$, is the better one for downstream
        tasks (Sec. 4.2), and it is what Section 4 evaluates. The JAX practical builds the
        same model (`EncoderWithProjectionHead`: the encoder, then `nn.Dense`, ReLU,
        `nn.Dense`).

        **Task 2 (2 P).** Write `build_projection_head(input_dim, hidden_dim, output_dim)`,
        which returns a new Keras model mapping representations of shape
        `(N, input_dim)` to projections of shape `(N, output_dim)`:
        `keras.layers.Dense(hidden_dim)` with a ReLU, then `keras.layers.Dense(output_dim)`
        without activation, both with their biases (Keras's default, as the practical's
        `nn.Dense`), and nothing else: no batch normalisation, no normalisation of $z$
        (NT-Xent normalises the projections itself). For example
        `keras.Sequential([keras.Input((input_dim,)), ...])`. Do not use
        `ssl_keras.layers.ProjectionHead` (the library's head, which adds batch norm).

        The checks set every weight of your head to fixed numbers (drawn from each weight's
        shape, so that every correct head computes the same function) and compare its
        output with SimCLR's formula; they also count its weights and check that two calls
        give two heads.
        """),
        solution('''
        def build_projection_head(input_dim, hidden_dim=512, output_dim=128):
            """SimCLR's projection head g(h) = W2 relu(W1 h + b1) + b2, a new Keras model."""
            ### BEGIN SOLUTION
            return keras.Sequential([
                keras.Input((input_dim,)),
                keras.layers.Dense(hidden_dim, activation="relu"),
                keras.layers.Dense(output_dim),
            ], name="projection_head")
            ### END SOLUTION
        ''', "projection_head"),
        tests("""
        checks.check_build_projection_head(build_projection_head)
        """, "projection_head_tests", points=2),
        markdown(r"""
        Training: `ssl_keras.experiments.train_method` builds the encoder of `config` (the
        course's small CNN), puts it in `ssl_keras.models.SimCLR` with your augmentation and
        your head ($256 \to 512 \to 128$; NT-Xent on the projections), and trains it with
        AdamW (warmup, cosine decay): `model.compile(optimizer)` then `model.fit(images)`.
        Watch the metrics: the loss, the contrastive top-1 accuracy (how often a view's
        partner is its most similar view; chance is $1/(2N-1)$) and the **embedding std**
        (spread of the normalised projections over the batch, about
        $1/\sqrt{128} \approx 0.088$ when well spread, 0 when collapsed).
        """),
        locked("""
        FEATURE_DIM = build_encoder(config, x_train.shape[1:]).output_shape[-1]  # h's size
        start = time.time()
        simclr, history = train_method(
            config, x_train, y_train, num_classes=len(class_names),
            augmentation=TwoViewAugmentation(HEIGHT, WIDTH, (config.crop_min_scale, 1.0),
                                             seed=config.seed),
            projection_head=build_projection_head(FEATURE_DIM, 512, 128),
            verbose=2 if not FAST else 0)
        print(f"SimCLR trained in {time.time() - start:.0f} s; last epoch: "
              + ", ".join(f"{key} {values[-1]:.3f}" for key, values in history.history.items()
                          if key in ("ssl_loss", "top1_accuracy", "embedding_std",
                                     "probe_accuracy")))
        """, "train_simclr"),
        markdown(r"""
        ## 3. Only positives: representation collapse (2 P)

        **Question 3a (1 P).** We now train the same model with the positives-only loss
        $-\frac{1}{N}\sum_i \mathrm{sim}(z_{a,i}, z_{b,i})$ (no negatives). Before running
        the cell: what do you expect to happen to the loss, to the embedding std and to
        the usefulness of the features?
        """),
        answer("collapse_prediction", 1, r"""
        Without negatives nothing keeps different images apart, so the cheapest way to make
        the two views agree is to map *every* image to (almost) the same vector. The loss
        should fall quickly to about $-1$ (perfect agreement), the embedding std should drop
        towards 0 (collapse), and the features should be (nearly) useless: a linear probe or
        kNN on them should not beat the random encoder by much (or be worse).
        """),
        locked("""
        start = time.time()
        positives_only, positives_history = train_method(
            config, x_train, y_train, objective="positives_only", num_classes=len(class_names),
            augmentation=TwoViewAugmentation(HEIGHT, WIDTH, (config.crop_min_scale, 1.0),
                                             seed=config.seed),
            projection_head=build_projection_head(FEATURE_DIM, 512, 128), verbose=0)
        print(f"trained in {time.time() - start:.0f} s")
        print("epoch   positives-only loss   embedding std   |   SimCLR embedding std")
        for epoch, (loss, std) in enumerate(zip(positives_history.history["ssl_loss"],
                                                positives_history.history["embedding_std"])):
            simclr_std = history.history["embedding_std"][epoch]
            print(f"{epoch + 1:5d}   {loss:19.4f}   {std:13.4f}   |   {simclr_std:.4f}")
        """, "train_positives_only"),
        markdown(r"""
        **Question 3b (1 P).** What did you observe? What does a loss close to $-1$ tell you
        about the average relationship of the compared embeddings, and how useful would you
        expect the learned embeddings to be on unseen data? (Section 5's table gives the
        numbers.)
        """),
        answer("collapse_observation", 1, r"""
        The positives-only loss reaches about $-1$ almost immediately, and the embedding std
        falls far below SimCLR's (towards 0): the projections of all images point in nearly
        the same direction. A loss of $-1$ only says that the two views of each image have
        (almost) identical embeddings - but so do *different* images: the representation
        has collapsed, it carries little information about the input, and the linear probe
        / kNN accuracies of its features are far below SimCLR's, near or below random init
        (measured with the solution: """ + DIGITS["positives_probe"] + " / "
        + DIGITS["positives_knn"] + " against SimCLR's " + DIGITS["simclr_probe"] + " / "
        + DIGITS["simclr_knn"] + " and random init's " + DIGITS["random_probe"] + " / "
        + DIGITS["random_knn"] + r"""). Negatives (the uniformity term of NT-Xent) are
        what prevents this; BYOL, SimSiam and Barlow Twins avoid collapse without them by
        other means.
        """),
        markdown(r"""
        ## 4. What the encoder learned

        Features are the encoder's outputs $h$ (before the projection head), extracted from
        un-augmented images, for three encoders of the same architecture: SimCLR, the
        positives-only model, and the same encoder at **random initialisation** (same seed,
        never trained) as the baseline.

        ### 4.1 Features of the frozen encoder (2 P), and t-SNE

        The encoder is **frozen** while it gives features: it runs in inference mode
        (`training=False`: batch normalisation uses the moving statistics it learned and
        changes nothing, dropout is off), and nothing is trained. A whole dataset does not
        fit through the encoder at once (50,000 CIFAR-10 images would not fit on a GPU), so
        it runs on batches.

        **Task 3 (2 P).** Write `extract_features(encoder, images, batch_size=256)`: run
        `encoder` (a Keras model from images to features) on `images` in batches of at
        most `batch_size` images (the last batch may be smaller), in inference mode, and
        return the features of all images, in the order of the images, as one NumPy array
        of shape `(N, dim)`. Either call the encoder on slices,
        `encoder(batch, training=False)`, converting each result with
        `keras.ops.convert_to_numpy`, or use Keras's batched inference,
        `encoder.predict(images, batch_size=batch_size, verbose=0)`. Do not use
        `ssl_keras.evaluation.extract_features` (that is the answer).

        The checks build a small encoder with batch normalisation and dropout and compare
        your features with its outputs in inference mode; they also check that the encoder
        is unchanged afterwards and never saw more than `batch_size` images at once.
        """),
        solution('''
        def extract_features(encoder, images, batch_size=256):
            """Features `(N, dim)` of `images` through the frozen `encoder`, as NumPy."""
            ### BEGIN SOLUTION
            batches = []
            for start in range(0, len(images), batch_size):
                batch_features = encoder(images[start:start + batch_size], training=False)
                batches.append(ops.convert_to_numpy(batch_features))
            return np.concatenate(batches, axis=0)
            ### END SOLUTION
        ''', "features"),
        tests("""
        checks.check_extract_features(extract_features)
        """, "features_tests", points=2),
        markdown(r"""
        The features of the three encoders (train and test images), and the t-SNE of the
        test features:
        """),
        locked("""
        keras.utils.set_random_seed(config.seed)  # the SimCLR encoder's initial weights
        random_encoder = build_encoder(config, x_train.shape[1:])  # never trained
        features = {}
        for name, encoder in (("SimCLR", simclr.encoder), ("random init", random_encoder),
                              ("positives only", positives_only.encoder)):
            features[name] = (extract_features(encoder, x_train),
                              extract_features(encoder, x_test))
        # One thread for t-SNE: its OpenMP threads crawl on a busy CPU (30x on 2 shared cores).
        with threadpool_limits(1):
            for name in ("SimCLR", "random init"):
                display(evaluation.plot_tsne(
                    features[name][1], y_test, class_names=class_names, seed=config.seed,
                    max_points=config.tsne_points, title=f"t-SNE of {name} features (test set)"))
        """, "tsne"),
        markdown(r"""
        **Question 4.1 (1 P).** Compare the two t-SNE plots. What does it mean when the
        classes form separate clusters, although the encoder never saw a label?
        """),
        answer("tsne_interpretation", 1, r"""
        With SimCLR features the test images of a class gather in clusters more than with
        random features, whose neighbourhoods are organised by nuisances (position,
        brightness, noise); how clearly depends on the run (measured with the solution:
        kNN """ + DIGITS["simclr_knn"] + " against " + DIGITS["random_knn"] + r""", linear
        probe """ + DIGITS["simclr_probe"] + " against " + DIGITS["random_probe"] + r""").
        The contrastive task made the encoder invariant to
        the augmentations (crop/position, colour/brightness), so what remains in the
        features is the shape of the digit - which is what the class depends on. Neighbours
        in feature space therefore tend to share a class: the representation is
        semantically organised without labels, which is what makes a linear probe or kNN
        work with few labels. (Confusions between similar classes, e.g. 3/5/8 or 4/9, remain
        as overlapping clusters; t-SNE only preserves local neighbourhoods, so distances
        between clusters mean little.)
        """),
        markdown(r"""
        ### 4.2 Linear probe with 1% and 100% of the labels (4 P)

        The linear evaluation protocol: "a linear classifier is trained on top of the
        frozen base network, and test accuracy is used as a proxy for representation
        quality" (Sec. 2.3). The classifier is multinomial logistic regression: class
        scores (logits) $s = W h + b$, trained with the softmax cross-entropy on the frozen
        features $h$.

        **Task 4 (3 P).** Write `train_linear_probe(train_features, train_labels,
        num_classes, epochs=50, batch_size=256, learning_rate=1e-2)`, which returns the
        trained probe: a Keras model mapping features `(N, dim)` to `num_classes` class
        scores `(N, num_classes)`.
        1. Standardise the features with the *training* mean and standard deviation: a
           `keras.layers.Normalization()` layer, `adapt`ed to `train_features`, as the
           probe's first layer (the probe then takes raw features).
        2. Then one `keras.layers.Dense(num_classes)` without activation: its outputs are
           logits. Starting from zero weights (`kernel_initializer="zeros"`) is a good
           choice: the problem is convex, and random initial weights in directions the
           few training vectors never see would stay there.
        3. Compile with `keras.optimizers.Adam(learning_rate)` and the softmax
           cross-entropy on logits and class ids,
           `keras.losses.SparseCategoricalCrossentropy(from_logits=True)`, and `fit` for
           `epochs` epochs of `batch_size` vectors (`verbose=0`).

        The probe has `num_classes` outputs even when a class is missing from the labels.
        Do not use `ssl_keras.evaluation.linear_probe` or a ready-made classifier
        (scikit-learn's `LogisticRegression`, ...): defining the probe, the optimiser and the
        loss is the task.

        **Task 5 (1 P).** Write `probe_accuracy(probe, features, labels, batch_size=256)`:
        the top-1 accuracy of a probe (a Keras model mapping features to class scores) on
        labelled features, the fraction (a float in $[0, 1]$) of feature vectors whose
        highest score is at their label. Every vector counts; `probe.predict(features,
        batch_size=batch_size, verbose=0)` gives the scores. Do not use a library accuracy
        (`keras.metrics`, scikit-learn's `accuracy_score`).

        The checks train your probe on fixed features and compare its test accuracy with
        that of a logistic regression trained to convergence (within 7 points); they check
        that it has `num_classes` outputs and is linear, and compare your accuracy with the
        exact value for fixed probes.
        """),
        solution('''
        def train_linear_probe(train_features, train_labels, num_classes, epochs=50,
                               batch_size=256, learning_rate=1e-2):
            """A linear classifier (standardisation, then logits) trained on frozen features."""
            ### BEGIN SOLUTION
            standardize = keras.layers.Normalization()
            standardize.adapt(train_features)
            probe = keras.Sequential([
                keras.Input((train_features.shape[1],)),
                standardize,
                keras.layers.Dense(num_classes, kernel_initializer="zeros"),
            ], name="linear_probe")
            probe.compile(optimizer=keras.optimizers.Adam(learning_rate),
                          loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
            probe.fit(train_features, train_labels, epochs=epochs, batch_size=batch_size,
                      verbose=0)
            return probe
            ### END SOLUTION
        ''', "linear_probe_answer"),
        tests("""
        checks.check_train_linear_probe(train_linear_probe)
        """, "linear_probe_tests", points=3),
        solution('''
        def probe_accuracy(probe, features, labels, batch_size=256):
            """Top-1 accuracy of `probe` on `features` with integer `labels`, in [0, 1]."""
            ### BEGIN SOLUTION
            scores = probe.predict(features, batch_size=batch_size, verbose=0)
            predictions = np.argmax(ops.convert_to_numpy(scores), axis=-1)
            return float(np.mean(predictions == np.asarray(labels)))
            ### END SOLUTION
        ''', "probe_accuracy"),
        tests("""
        checks.check_probe_accuracy(probe_accuracy)
        """, "probe_accuracy_tests", points=1),
        markdown(r"""
        Your probe on the features of the three encoders, with all labels and with 1% of
        them (class-stratified, `evaluation.stratified_subset`: on the digits about one
        image per class); the weighted kNN classifier (`evaluation.knn_accuracy`) needs no
        training at all.
        """),
        locked("""
        subset = evaluation.stratified_subset(y_train, 0.01, seed=config.seed)
        print(f"1% of the labels: {len(subset)} training images")
        results = {}
        for name, (train_features, test_features) in features.items():
            row = {"linear 1%": float("nan")}
            fractions = {"1%": subset, "100%": slice(None)}
            if name == "positives only":
                del fractions["1%"]
            for fraction, indices in fractions.items():
                keras.utils.set_random_seed(config.seed)  # the probe's batch order
                probe = train_linear_probe(train_features[indices], y_train[indices],
                                           len(class_names), epochs=config.probe_epochs)
                row[f"linear {fraction}"] = probe_accuracy(probe, test_features, y_test)
            row["kNN 100%"] = evaluation.knn_accuracy(
                train_features, y_train, test_features, y_test,
                k=min(config.knn_k, len(train_features)))
            results[name] = row
            print(f"{name:15s} " + "   ".join(f"{key} {value:6.1%}" for key, value in row.items()
                                              if value == value))
        """, "linear_probe"),
        markdown(r"""
        **Question 4.2 (2 P).** How do SimCLR and the random encoder compare with 1% and with
        100% of the labels? Where is self-supervised pretraining most useful, and why?
        """),
        answer("label_fraction", 2, r"""
        SimCLR's features beat the random encoder's with both label budgets (measured with
        the solution in the full setting: """ + DIGITS["simclr_probe"] + " vs "
        + DIGITS["random_probe"] + " linear with all labels, " + DIGITS["simclr_probe_1"]
        + " vs " + DIGITS["random_probe_1"] + " with 1% of the labels, "
        + str(DIGITS["labelled"]) + r""" images, one per class). In points the gain is
        larger with all labels here (""" + GAINS["all"][0] + " against " + GAINS["1%"][0]
        + r"""); relative to what the random features reach it is larger with one image
        per class (x""" + GAINS["1%"][1] + " against x" + GAINS["all"][1] + r"""): a
        classifier trained on few labels can only use structure the features already have,
        and one labelled image per class cannot teach it which directions of random
        features are nuisances (position, brightness, noise). At this budget one image per
        class stays too little for either encoder (SimCLR's 1% of ImageNet is 13 images per
        class, after hundreds of epochs). Self-supervised
        pretraining uses the unlabelled images to learn the structure of the data (what
        varies and what does not), so the few labels are only needed to name the clusters.
        It is most useful when unlabelled data is plentiful and labels are expensive
        (medical images, expert annotation); with abundant labels supervised training
        catches up.
        """),
        markdown(r"""
        ### 4.3 Similarities of positive and negative pairs

        Two fresh views of 64 test images through the trained model: the $2N \times 2N$
        cosine-similarity matrix of the projections $z$ (what NT-Xent sees; positives on the
        two off-diagonals) and the histograms of positive-pair and negative-pair
        similarities, for SimCLR and for the collapsed positives-only model.
        """),
        locked("""
        test_views = augmentation(x_test[:64])
        for name, model in (("SimCLR", simclr), ("positives only", positives_only)):
            outputs = model.predict(test_views, batch_size=64, verbose=0)
            z_a = ops.convert_to_numpy(outputs["z_a"])
            z_b = ops.convert_to_numpy(outputs["z_b"])
            if name == "SimCLR":
                display(evaluation.plot_similarity_matrix(
                    z_a[:24], z_b[:24], title=f"{name}: cosine similarities of 2 x 24 views"))
            display(evaluation.plot_similarity_histograms(
                z_a, z_b, title=f"{name}: positive vs negative pairs"))
        """, "similarities"),
        markdown(r"""
        **Question 4.3 (1 P).** Describe the two histograms of the SimCLR model and those of
        the positives-only model. What would a perfect contrastive representation look like
        here?
        """),
        answer("similarity_histograms", 1, r"""
        SimCLR: positive pairs have high similarity (close to 1), negative pairs are spread
        around 0 (or slightly below/above), with little overlap between the two
        distributions; in the matrix the two off-diagonals are bright and the rest mixed.
        Positives-only: *both* positives and negatives sit near 1 - every pair is similar,
        the two histograms overlap completely: collapse. A perfect contrastive
        representation would put all positives at 1 and the negatives well below, spread
        (uniformly) over the sphere - except negatives of the same class, which may
        legitimately stay fairly similar (false negatives).
        """),
        markdown(r"""
        ## 5. Temperature ablation and the comparison table (4 P)

        The same training with other temperatures (SimCLR used 0.5 on CIFAR-10; the digits
        preset uses 0.2, measured best), judged by kNN and the 100% linear probe (about
        5 minutes per temperature on a laptop CPU for the digits). FAST mode trains no
        extra model here: the table then holds only the temperature trained above.
        """),
        locked("""
        temperatures = () if FAST else (0.05, 0.1, 0.5, 1.0)  # FAST: no extra training
        ablation = {config.temperature: results["SimCLR"]}
        for tau in temperatures:
            start = time.time()
            model, _ = train_method(
                config, x_train, y_train, temperature=tau,
                augmentation=TwoViewAugmentation(HEIGHT, WIDTH, (config.crop_min_scale, 1.0),
                                                 seed=config.seed),
                projection_head=build_projection_head(FEATURE_DIM, 512, 128), verbose=0)
            train_features = extract_features(model.encoder, x_train)
            test_features = extract_features(model.encoder, x_test)
            ablation[tau] = {"kNN 100%": evaluation.knn_accuracy(
                train_features, y_train, test_features, y_test,
                k=min(config.knn_k, len(train_features)))}
            keras.utils.set_random_seed(config.seed)
            probe = train_linear_probe(train_features, y_train, len(class_names),
                                       epochs=config.probe_epochs)
            ablation[tau]["linear 100%"] = probe_accuracy(probe, test_features, y_test)
            print(f"tau = {tau}: trained and evaluated in {time.time() - start:.0f} s")
        print("\\ntemperature   linear 100%   kNN 100%")
        for tau in sorted(ablation):
            print(f"{tau:11g}   {ablation[tau]['linear 100%']:11.1%}   "
                  f"{ablation[tau]['kNN 100%']:8.1%}")
        """, "temperature_ablation"),
        markdown(r"""
        **Question 5a (2 P).** How does the temperature change the result? Relate it to what
        the temperature does to the softmax over the candidates (see the `temperature`
        notebook).
        """),
        answer("temperature_ablation_answer", 2, r"""
        (Full setting.) Accuracy depends clearly on $\tau$, with a sweet spot at a small but
        not tiny value (around 0.1-0.2 on the digits, 0.5 on CIFAR-10 in the paper); too
        high a temperature (1.0) gives markedly worse features, and very low values
        (0.05) can also degrade or destabilise training. A low temperature sharpens the
        softmax over the $2N-1$ candidates: the loss and its gradient concentrate on the
        hardest negatives, pushing them away, which spreads the embeddings (uniformity)
        and makes them discriminative. A high temperature treats all negatives almost
        equally and gives weak, uninformative gradients once the positive is roughly
        closest. Too low a temperature over-weights a few negatives, including false
        negatives of the same class, and hurts the semantic grouping.
        """),
        markdown(r"""
        The comparison table (test accuracy; measured in the full setting on the digits:
        """ + DIGITS_RESULTS + "; on CIFAR-10 after 10 epochs: " + CIFAR_RESULTS
        + r"""). The supervised rows train the same encoder
        with a linear head end to end on the labelled images (not in FAST mode).
        """),
        locked("""
        def supervised_accuracy(indices):
            keras.utils.set_random_seed(config.seed)
            network = keras.Sequential([build_encoder(config, x_train.shape[1:]),
                                        keras.layers.Dense(len(class_names))])
            network.compile(optimizer=keras.optimizers.Adam(1e-3),
                            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                            metrics=["accuracy"])
            network.fit(x_train[indices], y_train[indices], epochs=config.epochs,
                        batch_size=min(config.batch_size, len(x_train[indices])), verbose=0)
            return network.evaluate(x_test, y_test, verbose=0)[1]


        if not FAST:
            results["supervised"] = {"linear 1%": supervised_accuracy(subset),
                                     "linear 100%": supervised_accuracy(slice(None)),
                                     "kNN 100%": float("nan")}
        print(f"{'encoder':20s} {'1% labels':>10s} {'100% labels':>12s} {'kNN':>8s}")
        for name, row in results.items():
            cells = [f"{row[key]:.1%}" if row[key] == row[key] else "-"  # NaN: not measured
                     for key in ("linear 1%", "linear 100%", "kNN 100%")]
            print(f"{name:20s} {cells[0]:>10s} {cells[1]:>12s} {cells[2]:>8s}")
        if FAST:
            print("(FAST mode: toy training, the numbers mean nothing; supervised rows skipped)")
        """, "comparison_table"),
        markdown(r"""
        **Question 5b (2 P).** In the JAX practical, SimCLR on CIFAR-10 (a ResNet-18, 20
        epochs) reached only 25% / 33% test accuracy with 1% / 100% of the labels, below
        full supervised training (33% / 57%), while the paper reports SimCLR close to
        supervised. Why? With any resources you like, how would you change the setup to
        improve it and hopefully beat supervised training?
        """),
        answer("improve_simclr", 2, r"""
        The run was far too short and small for contrastive learning: SimCLR needs many
        epochs (hundreds to 1000) because every image must be contrasted with many
        augmentations and negatives; it benefits from large batches (many negatives, 4096
        in the paper), a wide/deep encoder, a non-linear projection head, the full strong
        augmentation (crop + colour distortion + blur at higher resolution), a tuned
        temperature and the LARS optimizer with warmup and cosine decay. The linear probe
        was trained only 5 epochs. Improvements: train much longer (e.g. 500-1000
        epochs) with larger batches on GPUs/TPUs, a bigger ResNet (ResNet-50 x2/x4), tuned
        augmentation strength and temperature, a longer and properly tuned linear
        evaluation, or fine-tuning the whole network on the labelled subset (semi-supervised),
        and more unlabelled data; self-supervision beats supervision most clearly in the
        low-label regime (1%-10% labels), where it uses unlabelled data the supervised
        model cannot.
        """),
        code("""
        # Scratch space (not graded).
        """),
    ]


CELLS = build_cells()


def main() -> None:
    path = Path(__file__).resolve().parent / f"{NAME}.ipynb"
    write_notebook(build_cells(), path)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
