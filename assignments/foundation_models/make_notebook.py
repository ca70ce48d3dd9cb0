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
ATTENTION = measured.attention_comparison_digits()


def _attention_finding() -> str:
    """What the measured comparison of Part C shows, in words that follow its numbers."""
    pairs, chance = ATTENTION["pair_values"], ATTENTION["chance_value"]
    seeds, higher = len(pairs), ATTENTION["simclr_higher"]
    lowest = min(min(pair) for pair in pairs)
    always_above = lowest > chance
    gaps = [simclr - supervised for simclr, supervised in pairs]
    if 2 * higher > seeds:
        direction = ("puts more of its attention on the digit than the supervised one in "
                     + ("every seed" if higher == seeds else f"{higher} of {seeds} seeds")
                     + f", by {min(gaps):.2f} to {max(gaps):.2f}")
        claim = "the direction of DINO's claim"
    elif 2 * higher < seeds:
        direction = ("puts less of its attention on the digit than the supervised one in "
                     f"{seeds - higher} of {seeds} seeds")
        claim = "the opposite of what DINO's claim would predict"
    else:
        direction = "is above the supervised one in half the seeds and below in the others"
        claim = "no direction at all"
    return (
        "On average both trained ViTs put more of their class token's attention on the "
        "digit than chance (uniform attention puts " + ATTENTION["chance"] + " there; the "
        "never-trained ViT puts " + ATTENTION["random_init"]["mass"] + "), "
        + ("in every seed" if always_above else
           f"though not in every seed (the lowest run: {lowest:.2f})")
        + ", some heads much more than others (the best head: SimCLR "
        + ATTENTION["simclr"]["best_head"] + ", supervised "
        + ATTENTION["supervised"]["best_head"] + "): training, with labels or without, "
        "moves the attention onto the digit's patches. "
        "The SimCLR ViT " + direction + " (per seed, SimCLR vs supervised from the same "
        "initial weights: " + ATTENTION["pairs"] + "; means "
        + ATTENTION["simclr"]["mass_mean_text"] + " vs "
        + ATTENTION["supervised"]["mass_mean_text"] + "), although its class token "
        "classifies worse (kNN " + ATTENTION["simclr"]["knn"] + " vs "
        + ATTENTION["supervised"]["knn"] + "). A possible reading: the supervised class "
        "token needs only what separates ten classes and may take it from a few patches, "
        "while SimCLR must match the same digit under other crops and contrasts, which ties "
        "it to the strokes. That is " + claim + ", but small: how much a model looks at the "
        "digit changes more from one seed to another (SimCLR alone: "
        + ATTENTION["simclr"]["mass"] + ") than between the objectives, so it is a "
        "tendency of " + str(seeds) + " small runs, not evidence about DINO. Part A's MAE "
        "stays near chance (" + ATTENTION["mae"]["mass"] + "): its loss never trains the "
        "class token directly. A good answer reads the figure the same way: where the maps "
        "sit relative to the outlined strokes, and how the heads differ."
    )


CELLS = [
    markdown(
        """
        # Foundation models: masked autoencoders and DINOv2 (18 P)

        Part A trains a **masked autoencoder** (MAE, He et al., 2022): a ViT encoder sees
        only a random 25% of the image patches, and a light decoder reconstructs the
        missing ones. You implement the two operations MAE is built on, cutting images
        into patches (Task 1) and random masking (Task 2), and look at reconstructions
        at several masking ratios.

        Part B explores the emergent properties of self-distilled ViTs such as **DINOv2**
        (Oquab et al., 2023): the class token's attention maps, foreground masks obtained
        by thresholding them (Task 3), a PCA of the patch features, and kNN classification
        of frozen features.

        Part C does the practical's last task, **comparing the attention of a
        self-supervised ViT with a supervised ViT's**: you read the class token's attention
        map off a ViT's last layer (Task 4), measure how much of it falls on the object
        (Task 5), then draw the maps side by side and compare them (Question 4).

        **How this is graded (18 points).** Tasks 1-5 (9 points, autograded: 2 + 2 + 2 + 2
        + 1): each task's test cell runs its visible checks; the grader also runs hidden
        cases on your functions, outside the notebook, and refuses calls to the library's
        own implementation of what the task teaches (names in comments or scratch cells
        never matter). Questions 1-4 (9 points: 2 + 2 + 2 + 3) are graded by hand: written
        answers, and for Question 4 also the figure drawn by the code cell right after its
        answer cell.

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
        - Part C trains two small ViTs of the same architecture on the digits, one
          self-supervised (SimCLR) and one supervised, and compares their attention: the
          **offline stand-in** for the practical's comparison, which says what it can and
          cannot show. The practical's own pair is DINOv2 against a ViT trained with labels:
          add a second cell `%env SSL_KERAS_VIT_PRESET=vit_base_patch16_224_imagenet` (with
          the DINOv2 one) and Part C adds DINOv2 and the supervised ViT-B/16 (ImageNet
          labels, loaded with `ssl_keras.foundation.load_vit`) to the comparison, on the same
          digits resized to their input size.

        **Fast and full settings.** `SSL_KERAS_FAST=1` (CI and the autograder) trains a
        smaller MAE (2 blocks of width 32) for 2 epochs on 384 digits, and evaluates on
        fewer digits: reconstructions are blurry and kNN accuracies near chance. The full
        setting (default) is the benchmark's (60 epochs, AdamW with warm-up and cosine
        decay, 75% masking); Part C's two ViTs also train for 60 epochs each in it (2 in the
        fast setting, where their attention says nothing). Measured (""" + MAE["where"]
        + """, """ + MAE["train_s"] + """ s of training): test masked-patch MSE """
        + MAE["mse"] + """, and

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
            bright_object_masks,
            dinov2_attention,
            last_block_attention,
            load_dinov2,
            load_vit,
            num_register_tokens,
            patch_mask_fractions,
            pca_rgb,
            plot_attention_maps,
            plot_mae_reconstructions,
            plot_pca_features,
            preprocess_images,
            unpatchify,
            vit_encoder,
            vit_features,
        )
        from ssl_keras.layers import ProjectionHead, SimCLRAugmentation
        from ssl_keras.models import SimCLR
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
        test_loss = mae.evaluate(EVALUATION_IMAGES, verbose=0, return_dict=True)["loss"]
        print(f"{EPOCHS} epochs, final training loss {history.history['loss'][-1]:.4f}; "
              f"test masked-patch MSE {test_loss:.4f}")
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
    markdown(
        """
        ## Part C: the attention of a self-supervised ViT against a supervised ViT's

        The practical's last task: "DINOv2 vs supervised ViT: compare attention patterns".
        **The claim** (Caron et al., 2021, the DINO paper; the paper's result, not measured
        here): the class token's attention in the last layer of a self-supervised ViT
        segments the main object, which "does not emerge as clearly with supervised ViTs";
        the paper compares masks made from the attention (60% of the mass) of a DINO ViT-S
        and of the same ViT trained with ImageNet labels against PASCAL VOC's object
        segmentations, and finds the self-supervised masks much closer to the objects.

        **What runs here, and what it can show.** Without downloaded weights the notebook
        trains two small ViTs of one architecture (`vit_encoder`: Part A's encoder, 4x4
        patches, so a 4x4 grid on a 16x16 digit) from the same initial weights, with the
        same optimizer and number of steps; only the objective differs:

        - **self-supervised**: SimCLR (`ssl_keras.models.SimCLR`), two augmented views of
          each digit pulled together, other digits pushed apart; the labels are never used;
        - **supervised**: a linear layer on the class token, cross-entropy on the labels.

        The notebook then measures which share of each model's class-token attention falls
        on the digit (a mask of its bright strokes), against the share that uniform
        attention would put there (the chance level). This is a real measurement of two
        objectives on the same data, but **not the paper's experiment**: SimCLR is
        contrastive, not DINO's self-distillation (the package's BYOL, the closest to it,
        learned almost nothing in this budget: kNN """ + ATTENTION["byol_knn"] + """ on
        the digits, one seed, chance 10%); 16 patches per image cannot draw a
        segmentation; a few minutes on 1,258 digits are not 142M images. It can show
        whether, at this scale, either objective makes the class token look at the digit
        rather than the background. The real models (two `%env` switches, in the
        introduction) make the paper's comparison itself on these digits; that run needs
        the downloaded weights and has not been made here.

        Measured in the full setting (""" + ATTENTION["where"] + """; all """
        + ATTENTION["test_images"] + """ test digits; mean over """ + ATTENTION["seeds"]
        + """ seeds, with the lowest and highest), share of the last layer's class-token
        attention (mean map over the 4 heads) on the digit, chance """ + ATTENTION["chance"]
        + """:

        | ViT (""" + str(ATTENTION["epochs"]) + """ epochs) | on the digit | best head | kNN (CLS) |
        |---|---|---|---|
        | never trained | """ + ATTENTION["random_init"]["mass"] + " | "
        + ATTENTION["random_init"]["best_head"] + " | " + ATTENTION["random_init"]["knn"] + """ |
        | SimCLR (self-supervised) | """ + ATTENTION["simclr"]["mass"] + " | "
        + ATTENTION["simclr"]["best_head"] + " | " + ATTENTION["simclr"]["knn"] + """ |
        | supervised (test accuracy """ + ATTENTION["supervised_accuracy"] + """) | """
        + ATTENTION["supervised"]["mass"] + " | " + ATTENTION["supervised"]["best_head"]
        + " | " + ATTENTION["supervised"]["knn"] + """ |
        | Part A's MAE (one seed) | """ + ATTENTION["mae"]["mass"] + " | "
        + ATTENTION["mae"]["best_head"] + " | " + ATTENTION["mae"]["knn"] + """ |
        """
    ),
    markdown(
        """
        **Task 4 (2 points).** `last_block_attention(model, images)` (from the package)
        returns the attention probabilities of a ViT's last layer, of shape
        `(batch, heads, tokens, tokens)`: entry `[b, h, q, k]` is how much token `q` (the
        query) attends to token `k` (the key); each row sums to 1. The tokens are ordered
        `[class token, registers, patch 0, ..., patch H*W - 1]` (`num_registers` register
        tokens only in DINOv2 with registers), the patches row by row.

        Implement `cls_attention_grid(attention, grid_size, num_registers=0)`: for each image
        and head, the class token's attention to the patches (DINO's "self-attention of the
        [CLS] token on the heads of the last layer") as a map on the patch grid
        `grid_size = (grid_height, grid_width)`. Return `(batch, heads, grid_height,
        grid_width)`, patch `i * grid_width + j` at row `i`, column `j`. Do not renormalise:
        the class token also attends to itself, so a map sums to less than 1.
        """
    ),
    solution(
        """
        def cls_attention_grid(attention, grid_size, num_registers=0):
            \"\"\"The class token's attention to the patches, per head, on the patch grid.\"\"\"
            ### BEGIN SOLUTION
            attention = np.asarray(attention)
            to_patches = attention[:, :, 0, 1 + num_registers:]  # query: the class token
            return to_patches.reshape(attention.shape[:2] + tuple(grid_size))
            ### END SOLUTION
        """,
        "cls_grid",
    ),
    tests(
        """
        checks.check_cls_attention_grid(cls_attention_grid)
        """,
        "cls_grid_tests",
        points=2,
    ),
    markdown(
        """
        **Task 5 (1 point).** Implement `mass_inside_mask(attention_maps, masks)`: the share
        of each map's attention that falls on the object, `sum(a * m) / sum(a)` over the
        last two axes, for maps `a` of shape `(..., H, W)` and masks `m` of the same shape
        with values in `[0, 1]` (1 on the object; for a patch partly on it, the part on it).
        Return one number per map, shape `attention_maps.shape[:-2]` (shape `()` for a
        single map). Uniform attention gives the mask's mean: the chance level.
        """
    ),
    solution(
        """
        def mass_inside_mask(attention_maps, masks):
            \"\"\"Share of each map's attention on the mask (sum over the last two axes).\"\"\"
            ### BEGIN SOLUTION
            maps = np.asarray(attention_maps, dtype="float64")
            masks = np.asarray(masks, dtype="float64")
            return (maps * masks).sum(axis=(-2, -1)) / maps.sum(axis=(-2, -1))
            ### END SOLUTION
        """,
        "mass_inside",
    ),
    tests(
        """
        checks.check_mass_inside_mask(mass_inside_mask)
        """,
        "mass_inside_tests",
        points=1,
    ),
    markdown(
        """
        ### The two small ViTs

        Same architecture as Part A's encoder (`MAE_CONFIG`), same initial weights, same
        AdamW schedule and number of steps; the self-supervised one never sees a label.
        The SimCLR settings are the package's digits preset (crops of at least 30% of the
        image, temperature 0.2) with a small projection head.
        """
    ),
    locked(
        """
        COMPARISON_EPOCHS = 2 if FAST else 60
        COMPARISON_LABELS = y_train[:len(TRAIN_IMAGES)]


        def build_vit():
            keras.utils.set_random_seed(0)  # the same initial weights for every objective
            return vit_encoder((16, 16, 3), patch_size=PATCH_SIZE, num_heads=4,
                               hidden_dim=MAE_CONFIG["hidden_dim"],
                               num_layers=MAE_CONFIG["num_layers"])


        def comparison_optimizer():
            steps = COMPARISON_EPOCHS * int(np.ceil(len(TRAIN_IMAGES) / 64))
            schedule = keras.optimizers.schedules.CosineDecay(
                0.0, decay_steps=max(steps - steps // 10, 1), warmup_target=1e-3,
                warmup_steps=steps // 10)
            return keras.optimizers.AdamW(schedule, weight_decay=0.05)


        random_vit = build_vit()

        simclr_vit = build_vit()
        simclr = SimCLR(simclr_vit, projection_head=ProjectionHead((256,), 64),
                        augmentation=SimCLRAugmentation(preset="cifar", height=16, width=16,
                                                        crop_scale=(0.3, 1.0), seed=0),
                        temperature=0.2)
        simclr.compile(optimizer=comparison_optimizer())
        history = simclr.fit(TRAIN_IMAGES, batch_size=64, epochs=COMPARISON_EPOCHS, verbose=0)
        print(f"SimCLR ViT: final NT-Xent loss {history.history['loss'][-1]:.3f}")

        supervised_vit = build_vit()
        images_in = keras.Input((16, 16, 3))
        classifier = keras.Model(images_in, keras.layers.Dense(10)(supervised_vit(images_in)))
        classifier.compile(optimizer=comparison_optimizer(), metrics=["accuracy"],
                           loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        classifier.fit(TRAIN_IMAGES, COMPARISON_LABELS, batch_size=64, epochs=COMPARISON_EPOCHS,
                       verbose=0)
        _, accuracy = classifier.evaluate(EVALUATION_IMAGES, y_test[:len(EVALUATION_IMAGES)],
                                          verbose=0)
        print(f"supervised ViT: test accuracy {100 * accuracy:.1f}%")
        """,
        "train_vits",
    ),
    markdown(
        """
        ### Measuring where the class token looks

        Every model's attention is read with your `cls_attention_grid` and measured with
        your `mass_inside_mask`. The digit's mask comes from `bright_object_masks` (a pixel
        is on the digit when it is brighter than the midpoint between the image's median
        and its 99th percentile: the strokes, up to noise), put on each model's patch grid
        by `patch_mask_fractions` (the share of each patch on the digit). With the
        `SSL_KERAS_VIT_PRESET` switch (and DINOv2 loaded in Part B), the pretrained pair is
        measured on the same digits, resized to 224x224: DINOv2's 14-pixel patches give a
        16x16 grid, ViT-B/16's a 14x14 grid, each patch covering about one pixel of the
        digit. The MAE of Part A is measured too (self-supervised, but its loss never trains
        the class token directly).
        """
    ),
    locked(
        """
        COMPARED = {"never trained": (random_vit, np.asarray),
                    "SimCLR ViT (self-supervised)": (simclr_vit, np.asarray),
                    "supervised ViT": (supervised_vit, np.asarray),
                    "Part A's MAE": (mae.token_encoder, np.asarray)}
        if vit is not mae.token_encoder:
            COMPARED[vit_name] = (vit, prepare)  # DINOv2, loaded in Part B
        VIT_PRESET = os.environ.get("SSL_KERAS_VIT_PRESET")
        if VIT_PRESET:
            try:
                supervised_hub = load_vit(VIT_PRESET)

                def prepare_vit(images, size=supervised_hub.image_shape[0]):
                    return preprocess_images(images, image_size=size, mean=(0.5, 0.5, 0.5),
                                             std=(0.5, 0.5, 0.5))

                COMPARED[f"supervised ViT ({VIT_PRESET})"] = (supervised_hub, prepare_vit)
            except (ImportError, OSError) as error:
                print(f"The supervised ViT could not be loaded:\\n{error}")

        object_masks = bright_object_masks(EVALUATION_IMAGES)  # (N, 16, 16), True on the digit
        attention_by_model, mass_by_model = {}, {}
        print(f"{'model':42s}  grid   on the digit   best head   chance")
        for name, (model, to_input) in COMPARED.items():
            registers = num_register_tokens(model)
            maps = []
            for start in range(0, len(EVALUATION_IMAGES), 64):
                batch = to_input(EVALUATION_IMAGES[start:start + 64])
                attention = last_block_attention(model, batch)
                side = int(round((attention.shape[-1] - 1 - registers) ** 0.5))
                maps.append(cls_attention_grid(attention, (side, side), registers))
            maps = np.concatenate(maps)  # (N, heads, side, side)
            on_grid = patch_mask_fractions(object_masks, (side, side))
            per_head = mass_inside_mask(maps, np.repeat(on_grid[:, None], maps.shape[1], axis=1))
            attention_by_model[name] = maps
            mass_by_model[name] = mass_inside_mask(maps.mean(axis=1), on_grid)
            print(f"{name:42s}  {side:2d}x{side:<2d}  {mass_by_model[name].mean():12.3f}"
                  f"  {per_head.mean(axis=0).max():10.3f}  {on_grid.mean():7.3f}")
        """,
        "compare_attention",
    ),
    markdown(
        """
        **Question 4 (3 points: 1 for the figure, 2 for the comparison).** In the code cell
        right after this answer cell, draw a figure that lets a reader compare the models:
        for a few test digits (rows), the digit with its mask outlined, then for each model
        its last-layer class-token attention (the mean over heads, and the head with the most
        attention on the digit), the mask outlined on it and the share on the digit in the
        title. `attention_by_model[name]` holds the maps `(images, heads, side, side)` of
        `EVALUATION_IMAGES`, `object_masks` the pixel masks `(images, 16, 16)`.

        Then, here: compare the self-supervised and the supervised ViT's attention, with
        your figure and the table of the cell above (and, in the full setting, the measured
        table at the start of Part C). Where does each model look, how far above chance,
        how do the heads differ? Is that what DINO's claim predicts, and what in this
        setting (objective, data, scale, grid) could explain what you see? If you ran the
        pretrained pair, compare DINOv2 with the supervised ViT-B/16 too.
        """
    ),
    written_answer(
        "comparison_question",
        points=3,
        solution_text="""
        Figure (1 point): per digit the image with the mask, then for each model the
        head-mean map and the best head, on the same layout, mask outlined, share in the
        title; a reader can see where each model looks.

        Comparison (2 points), in the full setting: """ + _attention_finding() + """

        What limits the comparison: SimCLR is contrastive, not DINO's self-distillation
        (no momentum teacher, centering or multi-crop); 16 patches per digit are too few to
        draw a shape, only to say whether the class token looks at the digit's patches or
        at the background; a digit is a single object at a random place on a plain, noisy
        background, so the background carries nothing for either objective, unlike natural
        images where a supervised model can use the context; and the scale (1,258 images,
        a few minutes of training) is far from DINO's. The paper's claim is about
        self-supervised ViTs trained at scale against ViTs trained with labels at scale:
        the pretrained pair is the test of it (the claim predicts DINOv2's maps sharp and
        on the digit, the supervised ViT-B/16's more diffuse); here, the small pair only
        shows whether the effect already appears at a tiny scale.
        """,
    ),
    solution(
        """
        ### BEGIN SOLUTION
        shown = 4
        names = list(attention_by_model)
        figure, axes = plt.subplots(shown, 1 + 2 * len(names),
                                    figsize=(1.4 * (1 + 2 * len(names)), 1.5 * shown),
                                    squeeze=False)
        pixels = (-0.5, 15.5, 15.5, -0.5)  # every map drawn over the digit's 16x16 pixels
        for row in range(shown):
            axes[row, 0].imshow(EVALUATION_IMAGES[row], extent=pixels)
            axes[row, 0].contour(object_masks[row], levels=[0.5], colors="cyan", linewidths=0.8)
            for index, name in enumerate(names):
                maps = attention_by_model[name][row]  # (heads, side, side)
                on_grid = patch_mask_fractions(object_masks[row], maps.shape[-2:])
                per_head = mass_inside_mask(maps, np.repeat(on_grid[None], len(maps), axis=0))
                best = int(np.argmax(per_head))
                mean_share = float(mass_inside_mask(maps.mean(axis=0), on_grid))
                panels = ((maps.mean(axis=0), f"mean {mean_share:.2f}"),
                          (maps[best], f"head {best} {per_head[best]:.2f}"))
                for offset, (heat, title) in enumerate(panels):
                    axis = axes[row, 1 + 2 * index + offset]
                    axis.imshow(heat, cmap="inferno", extent=pixels)
                    axis.contour(object_masks[row], levels=[0.5], colors="cyan", linewidths=0.6)
                    axis.set_title(title, fontsize=7)
            for axis in axes[row]:
                axis.set_xticks([])
                axis.set_yticks([])
        axes[0, 0].set_title("digit", fontsize=7)
        for index, name in enumerate(names):
            axes[-1, 1 + 2 * index].set_xlabel(name, fontsize=7, loc="left")
        figure.suptitle("Last-layer class-token attention (cyan: the digit's mask; title: share "
                        "on the digit)", fontsize=8)
        plt.show()
        ### END SOLUTION
        """,
        "comparison_figure",
    ),
]


if __name__ == "__main__":
    print(write_notebook(CELLS, HERE / "foundation_models.ipynb"))
