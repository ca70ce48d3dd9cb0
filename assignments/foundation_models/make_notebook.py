"""Builds assignments/foundation_models/foundation_models.ipynb (run this file to regenerate it)."""

import sys
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

MAE = measured.mae_digits()

CELLS = [
    markdown(
        """
        # Foundation models: masked autoencoders and DINOv2 (12 P)

        Part A trains a **masked autoencoder** (MAE, He et al., 2022): a ViT encoder sees
        only a random 25% of the image patches, and a light decoder reconstructs the
        missing ones. You implement the two operations MAE is built on, cutting images
        into patches (Task 1) and random masking (Task 2), and look at reconstructions
        at several masking ratios.

        Part B explores the emergent properties of self-distilled ViTs such as **DINOv2**
        (Oquab et al., 2023): the class token's attention maps, foreground masks obtained
        by thresholding them (Task 3), a PCA of the patch features, and kNN classification
        of frozen features.

        **How this is graded (12 points).** Tasks 1-3 (6 points, autograded): each task's
        test cell runs its visible checks; the grader also runs hidden cases on your
        functions, outside the notebook, and refuses calls to the library's own
        implementation of what the task teaches (names in comments or scratch cells never
        matter). Questions 1-3 (6 points) are written answers, graded by hand.

        **Pretrained weights are not available here.** The course uses
        `facebook/vit-mae-base` and `dinov2_vits14`; they cannot be downloaded on the
        machines where this notebook is graded. So:

        - Part A trains a small MAE (`ssl_keras.foundation.MaskedAutoencoder`: 4x4 patches,
          4 blocks of width 64) on the embedded 16x16 digits, as the course's MAE
          benchmark does;
        - Part B runs on that MAE's ViT encoder by default. **Its attention maps, masks and
          PCA are not DINOv2's**: a tiny ViT trained for a minute on digits has none of the
          emergent segmentation of a ViT-S trained on 142M images. The code is the same,
          and with DINOv2 weights it shows the real thing: with keras-hub installed
          (Colab has it), add a cell `%env SSL_KERAS_DINOV2_PRESET=dinov2_small` anywhere
          before Part B and run the notebook: the preset `dinov2_small` is downloaded
          from Kaggle on first use (needs internet; offline, set it to a local preset
          directory instead: on a machine with internet run
          `keras_hub.models.DINOV2Backbone.from_preset("dinov2_small").save_to_preset(
          "dinov2_small")` and copy the folder). Then Part B uses
          `ssl_keras.foundation.load_dinov2` on the digits resized to 224x224, and says so.

        **Fast and full settings.** `SSL_KERAS_FAST=1` (CI and the autograder) trains a
        smaller MAE (2 blocks of width 32) for 2 epochs on 384 digits, and evaluates on
        fewer digits: reconstructions are blurry and kNN accuracies near chance. The full
        setting (default) is the benchmark's (60 epochs, AdamW with warm-up and cosine
        decay, 75% masking). Measured (""" + MAE["where"] + """, """ + MAE["train_s"] + """ s
        of training): test masked-patch MSE """ + MAE["mse"] + """, and

        | encoder | linear probe (CLS) | kNN (CLS, k=20) |
        |---|---|---|
        | MAE, """ + str(MAE["epochs"]) + " epochs | " + MAE["mae_probe"] + " | " + MAE["mae_knn"]
        + """ |
        | same ViT, random init | """ + MAE["random_probe"] + " | " + MAE["random_knn"] + """ |

        For reference, the course's claims on CIFAR-10 with the pretrained models: MAE
        (ViT-B) linear probe ~60-70%, DINOv2 (ViT-S/14) kNN ~95-97%, no training at all.
        DINOv2 on these digits has not been measured here (no weights).
        """
    ),
    install(),
    setup(
        "setup",
        imports="""
        import matplotlib.pyplot as plt
        from IPython.display import display
        from ssl_keras_autograder.checks import foundation_models as checks

        from ssl_keras.data import load_digits
        from ssl_keras.evaluation import knn_accuracy, linear_probe
        from ssl_keras.foundation import (
            MaskedAutoencoder,
            dinov2_attention,
            load_dinov2,
            pca_rgb,
            plot_attention_maps,
            plot_mae_reconstructions,
            plot_pca_features,
            preprocess_images,
            unpatchify,
            vit_features,
        )
        """,
    ),
    locked(
        """
        (x_train, y_train), (x_test, y_test) = load_digits(seed=0)
        PATCH_SIZE = 4
        print("training images", x_train.shape, "test images", x_test.shape)
        """,
        "data",
    ),
    markdown(
        """
        ## Part A: masked autoencoders

        **Task 1 (2 points).** Implement `patchify(images, patch_size)`: cut images
        `(N, H, W, C)` (sides multiples of `patch_size = p`) into non-overlapping `p x p`
        patches, numbered row by row (patch `i * (W / p) + j` is at patch-row `i`,
        patch-column `j`), each flattened in the order (pixel row, pixel column, channel).
        Return `(N, (H / p) * (W / p), p * p * C)`. No Python loops over pixels or patches.
        """
    ),
    solution(
        """
        def patchify(images, patch_size):
            \"\"\"(N, H, W, C) -> (N, num_patches, p * p * C), patches in raster order.\"\"\"
            ### BEGIN SOLUTION
            images = np.asarray(images)
            n, height, width, channels = images.shape
            p = patch_size
            grid = images.reshape(n, height // p, p, width // p, p, channels)
            grid = grid.transpose(0, 1, 3, 2, 4, 5)  # (n, rows, columns, p, p, c)
            return grid.reshape(n, (height // p) * (width // p), p * p * channels)
            ### END SOLUTION
        """,
        "patchify",
    ),
    tests(
        """
        checks.check_patchify(patchify)
        """,
        "patchify_tests",
        points=2,
    ),
    locked(
        """
        patches = patchify(x_test[:1], PATCH_SIZE)
        print("one 16x16 digit ->", patches.shape, "(16 patches of 4 * 4 * 3 values)")
        assert np.array_equal(unpatchify(patches, PATCH_SIZE, x_test.shape[1:]), x_test[:1])
        figure, axes = plt.subplots(4, 4, figsize=(3, 3))
        for axis, patch in zip(axes.flat, patches[0]):
            axis.imshow(patch.reshape(PATCH_SIZE, PATCH_SIZE, 3))
            axis.axis("off")
        plt.show()
        """,
        "patch_grid",
    ),
    markdown(
        """
        **Task 2 (2 points).** Implement MAE's per-image random masking,
        `random_masking(tokens, mask_ratio, noise)`. For patch tokens `(N, L, D)` and
        uniform noise `(N, L)` (one number per patch, given so that the result is
        deterministic), keep the `L - round(mask_ratio * L)` patches with the **smallest**
        noise. Return `(visible_tokens, mask, restore_ids)`:

        - `visible_tokens` `(N, num_kept, D)`: the kept tokens, in increasing-noise order;
        - `mask` `(N, L)`: 1 for masked patches, 0 for kept ones, in the original order;
        - `restore_ids` `(N, L)`: for each patch, its position in the noise-sorted order
          (the permutation that un-shuffles `[visible, masked]` tokens for the decoder).

        Hint: MAE's reference code does it with two `argsort`s.
        """
    ),
    solution(
        """
        def random_masking(tokens, mask_ratio, noise):
            \"\"\"MAE's masking: keep the lowest-noise patches; return visible, mask, restore.\"\"\"
            ### BEGIN SOLUTION
            tokens, noise = np.asarray(tokens), np.asarray(noise)
            num_patches = tokens.shape[1]
            num_kept = num_patches - int(round(mask_ratio * num_patches))
            shuffle_ids = np.argsort(noise, axis=1)
            restore_ids = np.argsort(shuffle_ids, axis=1)
            visible = np.take_along_axis(tokens, shuffle_ids[:, :num_kept, None], axis=1)
            mask = (restore_ids >= num_kept).astype("float32")
            return visible, mask, restore_ids
            ### END SOLUTION
        """,
        "masking",
    ),
    tests(
        """
        checks.check_random_masking(random_masking)
        """,
        "masking_tests",
        points=2,
    ),
    markdown(
        """
        ### Training the MAE

        `MaskedAutoencoder` uses the package's `patchify` and `random_masking`, which
        compute what yours compute (the checks above compare them). The loss is the MSE
        on the masked patches only.
        """
    ),
    locked(
        """
        if FAST:
            MAE_CONFIG = dict(hidden_dim=32, num_layers=2, decoder_hidden_dim=32,
                              decoder_num_layers=1)
            TRAIN_IMAGES, EPOCHS, EVALUATION_IMAGES = x_train[:384], 2, x_test[:128]
        else:
            MAE_CONFIG = dict(hidden_dim=64, num_layers=4, decoder_hidden_dim=32,
                              decoder_num_layers=2)
            TRAIN_IMAGES, EPOCHS, EVALUATION_IMAGES = x_train, 60, x_test


        def build_mae():
            keras.utils.set_random_seed(0)  # the same initial weights for both models
            return MaskedAutoencoder(image_shape=(16, 16, 3), patch_size=PATCH_SIZE, num_heads=4,
                                     decoder_num_heads=4, mask_ratio=0.75, seed=0, **MAE_CONFIG)


        random_mae = build_mae()
        mae = build_mae()
        steps = EPOCHS * int(np.ceil(len(TRAIN_IMAGES) / 64))
        schedule = keras.optimizers.schedules.CosineDecay(
            0.0, decay_steps=max(steps - steps // 10, 1), warmup_target=1e-3,
            warmup_steps=steps // 10)
        mae.compile(optimizer=keras.optimizers.AdamW(schedule, weight_decay=0.05, beta_2=0.95))
        history = mae.fit(TRAIN_IMAGES, batch_size=64, epochs=EPOCHS, verbose=0)
        print(f"{EPOCHS} epochs, final training loss {history.history['loss'][-1]:.4f}; "
              f"test masked-patch MSE {float(mae.evaluate(EVALUATION_IMAGES, verbose=0)):.4f}")
        """,
        "train_mae",
    ),
    markdown(
        """
        Reconstructions of test digits at masking ratios 25%, 50%, 75% and 90% (a new
        random mask per ratio; gray = masked; the reconstruction shows the prediction on
        masked patches and the original pixels on visible ones).
        """
    ),
    locked(
        """
        display(plot_mae_reconstructions(mae, x_test[:8], mask_ratios=(0.25, 0.5, 0.75, 0.9)))
        """,
        "reconstructions",
    ),
    markdown(
        """
        **Question 1 (2 points).** How does the reconstruction change with the masking
        ratio? Why does MAE train with 75% of the patches masked, much more than BERT's 15%
        of words, and why is a high ratio also what makes MAE cheap to train?
        """
    ),
    written_answer(
        "masking_question",
        points=2,
        solution_text="""
        At 25-50% the missing patches are filled in well from their visible neighbours
        (mostly interpolation of strokes and background); at 75% the digit's shape must be
        inferred from a few patches and reconstructions get blurry but plausible; at 90%
        they are often a blurry generic digit or the wrong one. Images are spatially very
        redundant, unlike language: with a low ratio a missing patch can be recovered by
        interpolating its neighbours without any understanding of the object, so the task
        teaches little. Masking 75% removes that redundancy and forces a holistic
        understanding (the paper finds 75% best for both fine-tuning and linear probing).
        Because the encoder only processes the visible 25% of the tokens (the mask tokens
        enter only the small decoder), each step costs about 3-4x less compute and memory
        than a ViT on all patches.
        """,
    ),
    markdown(
        """
        ## Part B: attention maps, foreground masks, PCA and kNN

        The next cell picks the ViT to explore: DINOv2 if `SSL_KERAS_DINOV2_PRESET` is set
        and loads, otherwise the MAE's encoder trained above (no masking at inference).
        """
    ),
    locked(
        """
        DINOV2_PRESET = os.environ.get("SSL_KERAS_DINOV2_PRESET")
        vit, vit_name, prepare = mae.token_encoder, "the small MAE's ViT encoder", np.asarray
        if DINOV2_PRESET:
            try:
                vit = load_dinov2(DINOV2_PRESET, image_shape=(224, 224, 3))
                vit_name = f"DINOv2 ({DINOV2_PRESET})"

                def prepare(images):
                    return preprocess_images(images, image_size=224)
            except (ImportError, OSError) as error:
                print(f"DINOv2 could not be loaded, using the MAE's encoder:\\n{error}")
        print("Exploring", vit_name)
        examples = x_test[:6]
        attention = dinov2_attention(vit, prepare(examples))  # (6, heads, grid, grid)
        print("class-token attention maps of the last block:", attention.shape)
        display(plot_attention_maps(examples, attention, max_images=4))
        """,
        "attention",
    ),
    markdown(
        """
        **Task 3 (2 points).** DINO turns an attention map into a foreground mask by keeping
        "60% of the mass": the smallest set of patches with the **highest** attention whose
        attention sums to at least `keep_mass` times the map's total. Implement
        `keep_mass_mask(attention_maps, keep_mass=0.6)` for maps `(..., H, W)` (one mask
        per map, over its last two axes); return a boolean array of the same shape.
        """
    ),
    solution(
        """
        def keep_mass_mask(attention_maps, keep_mass=0.6):
            \"\"\"True on the fewest top patches holding >= keep_mass of each map's total.\"\"\"
            ### BEGIN SOLUTION
            maps = np.asarray(attention_maps, dtype="float64")
            flat = maps.reshape(-1, maps.shape[-2] * maps.shape[-1])
            fractions = flat / flat.sum(axis=1, keepdims=True)
            order = np.argsort(-fractions, axis=1)  # highest attention first
            sorted_fractions = np.take_along_axis(fractions, order, axis=1)
            mass_before = np.cumsum(sorted_fractions, axis=1) - sorted_fractions
            keep_sorted = mass_before < keep_mass
            keep = np.zeros_like(keep_sorted)
            np.put_along_axis(keep, order, keep_sorted, axis=1)
            return keep.reshape(maps.shape)
            ### END SOLUTION
        """,
        "foreground",
    ),
    tests(
        """
        checks.check_keep_mass_mask(keep_mass_mask)
        """,
        "foreground_tests",
        points=2,
    ),
    locked(
        """
        mean_attention = attention.mean(axis=1)  # (6, grid, grid), mean over heads
        masks = keep_mass_mask(mean_attention, keep_mass=0.6)
        figure, axes = plt.subplots(3, len(examples), figsize=(1.6 * len(examples), 5))
        for column, (image, heat, mask) in enumerate(zip(examples, mean_attention, masks)):
            for row, (shown, title) in enumerate(((image, "image"), (heat, "attention"),
                                                  (mask, "60% mask"))):
                axes[row, column].imshow(shown, interpolation="nearest")
                axes[row, column].axis("off")
                axes[row, 0].set_title(title, fontsize=8, loc="left")
        plt.show()
        """,
        "masks",
    ),
    markdown(
        """
        ### PCA of the patch features

        One PCA over the patch tokens of all the images; the first three components
        become the red, green and blue channels, so that parts with similar features get
        similar colours across images (DINOv2's Figure 1).
        """
    ),
    locked(
        """
        patch_features = vit_features(vit, prepare(x_test[:8]), pooling="patches")
        display(plot_pca_features(x_test[:8], pca_rgb(patch_features)))
        """,
        "pca",
    ),
    markdown(
        """
        ### kNN classification of frozen features

        DINO's protocol: the class-token features of the labelled training images are
        stored, and each test image takes the weighted vote of its 20 nearest neighbours
        (cosine similarity, temperature 0.07). No training. The random-init row is the
        same ViT before training (only for the MAE encoder). The full setting also fits a
        linear probe.
        """
    ),
    locked(
        """
        knn_train, knn_test = ((x_train[:256], y_train[:256]), (x_test[:128], y_test[:128])) \\
            if FAST else ((x_train, y_train), (x_test, y_test))
        encoders = {vit_name: (vit, prepare)}
        if vit is mae.token_encoder:
            encoders["same ViT, random init"] = (random_mae.token_encoder, np.asarray)
        for name, (model, to_input) in encoders.items():
            train_features = vit_features(model, to_input(knn_train[0]), pooling="cls")
            test_features = vit_features(model, to_input(knn_test[0]), pooling="cls")
            knn = knn_accuracy(train_features, knn_train[1], test_features, knn_test[1],
                               k=20, temperature=0.07)
            line = f"{name:32s} kNN {100 * knn:5.1f}%"
            if not FAST:
                probe = linear_probe(train_features, knn_train[1], test_features, knn_test[1],
                                     epochs=100, seed=0, verbose=0)
                line += f"   linear probe {100 * probe.accuracy:5.1f}%"
            print(line, "(chance 10%)")
        """,
        "knn",
    ),
    markdown(
        """
        **Question 2 (2 points).** DINO's class-token attention maps segment the main
        object of an image although the model never saw a segmentation label. Why can
        self-distillation (student matching a momentum teacher across crops) produce this,
        and why do the maps and masks of the small MAE encoder here look so different?
        """
    ),
    written_answer(
        "attention_question",
        points=2,
        solution_text="""
        DINO trains the class token of a student to predict the teacher's output for other
        crops of the same image, including small local crops against global ones. The only
        information shared by all crops of an image is the object, not the background, so
        the class token learns to gather its information from the object's patches: its
        attention concentrates on the foreground, and different heads attend to different
        parts. Thresholding that attention (60% of the mass) then gives a foreground mask.
        DINOv2 does this at scale (142M curated images, ViT-S/14 and larger), which makes
        the maps sharp. The small MAE here is a 4-block ViT on 16x16 digits (16 patches),
        trained for a minute with a reconstruction loss: nothing pushes its class token to
        attend to the object (MAE's loss is on the masked patches only; the class token is
        trained only indirectly, through the decoder), the grid is 4x4, and the maps are
        nearly uniform or follow bright strokes and noise. The comparison shows that
        segmentation is an emergent property of the objective and the scale, not of the
        ViT architecture.
        """,
    ),
    markdown(
        """
        **Question 3 (2 points).** MAE features are weak under a linear probe or kNN (here
        """ + MAE["mae_probe"] + " / " + MAE["mae_knn"] + """ in the full setting; ViT-B on
        ImageNet 68% linear in the paper) but excellent after fine-tuning, while DINOv2's
        frozen features reach ~95-97% kNN on CIFAR-10 (the course's claim). Explain the difference
        between the two objectives that causes this.
        """
    ),
    written_answer(
        "knn_question",
        points=2,
        solution_text="""
        MAE is trained to reconstruct pixels: its features must keep local, low-level
        information (exact positions, textures, intensities) about every patch, and
        nothing makes images of the same class close in feature space, so the class
        information is present but entangled non-linearly; a linear probe or a
        nearest-neighbour rule on the class token (which the MAE loss trains only
        indirectly) cannot use it, whereas fine-tuning reshapes the features. DINO/DINOv2 (and
        contrastive methods) are discriminative at the image level: they make the global
        embeddings of views of the same image agree and spread different images (via
        the teacher's centering/sharpening or a contrastive/Sinkhorn-style term), which
        directly produces linearly separable, semantically clustered global features,
        so kNN works without any training. DINOv2 adds a patch-level masked objective
        (iBOT) and enormous curated data, which also gives good dense (patch) features.
        """,
    ),
]


if __name__ == "__main__":
    print(write_notebook(CELLS, HERE / "foundation_models.ipynb"))
