"""Builds assignments/clip_zero_shot/clip_zero_shot.ipynb (run this file to regenerate it)."""

import sys
import textwrap
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

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
    written_answer,
)


def _measured_examples() -> dict:
    """The mini-CLIP on the bundled example images in the full setting, as measured by
    `benchmarks/mini_clip_zero_shot.py`: strings for the model answers."""
    record = measured.load("mini_clip_zero_shot_jax.json")["example_images"]
    images = record["images"]

    def scene(name):
        return name.rsplit(".", 1)[0].replace("_", " ")

    right = [scene(name) for name, result in images.items() if result["right"]]
    wrong = [f"{scene(name)} -> {result['best_text']!r}" for name, result in images.items()
             if not result["right"]]
    count = len(images)
    return {
        "where": measured.mini_clip_where(),
        "texts": str(count + len(record["distractors"])),
        "image_to_text": f"{round(record['image_to_text'] * count)} of {count}",
        "text_to_image": f"{round(record['text_to_image'] * count)} of {count}",
        "right": ", ".join(right) or "none",
        "wrong": "; ".join(wrong) or "none",
    }


EXAMPLES = _measured_examples()

CELLS = [
    markdown(
        """
        # CLIP: zero-shot classification (20 P)

        CLIP (Radford et al., 2021) trains an image encoder $f$ and a text encoder $g$ so
        that an image and its caption land close together in one embedding space. A
        classifier then needs no training at all: write one text prompt per class
        ("a photo of a seven"), embed it, and predict the class whose prompt is most
        similar to the image,

        $$\\hat c(x) = \\arg\\max_i \\; \\frac{f(x)^\\top g(t_i)}{\\lVert f(x)\\rVert\\,
        \\lVert g(t_i)\\rVert}.$$

        In this assignment you implement that classifier (Task 1 and 2), prompt
        ensembling (Task 3), and the error analysis (Task 4 and 5), and you study how the
        wording of the prompts changes the predictions. Finally you let CLIP match 5-10
        images of your own with descriptions you write (Task 6 and 7, and your plot).

        **How this is graded (20 points).** Tasks 1-7 (11 points, autograded): each task's
        test cell runs its visible checks; the grader also runs hidden cases on your
        functions, outside the notebook, and refuses calls to the library's own
        implementation of what the task teaches (names in comments or scratch cells never
        matter). Questions 1-4 (8 points) are written answers and the similarity plot of
        your own images (1 point) is a figure, graded by hand.

        **Which CLIP?** The course's pretrained CLIP (ViT-B/32) cannot be downloaded on the
        machines where this notebook is graded, so by default the notebook trains a
        **mini-CLIP** offline in under a minute: a small CNN image tower and a
        bag-of-words text tower (`ssl_keras.clip.MiniCLIP`), trained with CLIP's
        contrastive loss on the embedded handwritten digits paired with captions such as
        "a photo of the digit seven" or "handwritten 7". It is then evaluated on
        **held-out** test digits, from class names and prompts whose wording never occurs
        in training. Everything you implement works on embeddings, so it is the same code
        for the real CLIP.

        **Full mode with a real CLIP.** With keras-hub installed (Colab has it) and a CLIP
        preset available, add a cell `%env SSL_KERAS_CLIP_PRESET=clip_vit_base_patch32`
        anywhere above the cell that loads the data and run the notebook. The value is a
        keras-hub preset name such as `clip_vit_base_patch32` (downloaded from
        Kaggle on first use: needs internet) or to the path of a local preset directory
        (offline: on a machine with internet run
        `keras_hub.models.CLIPBackbone.from_preset(name).save_to_preset(directory)` and the
        same with `keras_hub.models.CLIPPreprocessor`, then copy the directory). The
        notebook then embeds the digits and prompts with that CLIP
        (`ssl_keras.models.CLIPZeroShotClassifier.from_keras_hub`). If loading fails, it
        says why and falls back to the mini-CLIP.

        **Fast and full settings.** `SSL_KERAS_FAST=1` (used by CI and the autograder)
        trains the mini-CLIP for 4 epochs on 1,024 digits with one caption each: zero-shot
        accuracy is then far below the full figures (roughly 30-50%, chance 10%). The full setting
        (default) trains 12 epochs on 3 captions per image, as
        the course's benchmark, which measured on the held-out digits
        (""" + measured.mini_clip_where() + """):

""" + textwrap.indent(measured.mini_clip_table(), " " * 8) + """

        Expect numbers close to these (a few points apart on another backend, whose
        random streams differ).
        """
    ),
    install(),
    setup(
        "setup",
        imports="""
        import textwrap

        import matplotlib.pyplot as plt
        from ssl_keras_autograder.checks import clip_zero_shot as checks

        from ssl_keras.clip import (
            DIGIT_NUMERALS,
            DIGIT_WORDS,
            TRAINING_TEMPLATES,
            UNSEEN_TEMPLATES,
            caption_digits,
            caption_vocabulary,
            load_described_images,
            load_example_images,
            train_mini_clip,
        )
        from ssl_keras.data import load_digits
        """,
    ),
    markdown(
        """
        ## 1. The model

        The next cell loads the digits and either loads a real CLIP (full mode, see above)
        or trains the mini-CLIP. Afterwards two functions are all you need:
        `encode_images(images)` returns image embeddings `(B, d)` and
        `encode_texts(list_of_strings)` returns text embeddings `(T, d)` (neither is
        normalised).
        """
    ),
    locked(
        """
        (x_train, y_train), (x_test, y_test) = load_digits(seed=0)
        # Fast setting: 1,024 of the 1,258 training digits, one caption each, 4 epochs.
        TRAIN_IMAGES, EPOCHS, CAPTIONS_PER_IMAGE = (1024, 4, 1) if FAST else (None, 12, 3)
        CLIP_PRESET = os.environ.get("SSL_KERAS_CLIP_PRESET")
        clip_model = None
        if CLIP_PRESET:
            try:
                from ssl_keras.models import CLIPZeroShotClassifier

                hub_classifier = CLIPZeroShotClassifier.from_keras_hub(CLIP_PRESET, DIGIT_WORDS)
                encode_images, encode_texts = (
                    hub_classifier.encode_images, hub_classifier.encode_texts
                )
                print(f"Using the pretrained keras-hub CLIP {CLIP_PRESET!r}.")
            except (ImportError, RuntimeError) as error:
                print(f"Could not load {CLIP_PRESET!r}, training the mini-CLIP instead:\\n{error}")
                CLIP_PRESET = None
        if not CLIP_PRESET:
            images, captions, _ = caption_digits(
                x_train[:TRAIN_IMAGES], y_train[:TRAIN_IMAGES], TRAINING_TEMPLATES,
                captions_per_image=CAPTIONS_PER_IMAGE,
                seed=0,
            )
            clip_model, history = train_mini_clip(
                images, captions, caption_vocabulary(), epochs=EPOCHS, batch_size=64,
                learning_rate=3e-3, temperature=0.1, seed=0, verbose=0,
            )
            encode_images, encode_texts = clip_model.encode_images, clip_model.encode_texts
            print(f"Mini-CLIP trained on {len(images)} image-caption pairs for {EPOCHS} epochs, "
                  f"final contrastive loss {history.history['loss'][-1]:.3f}.")
            print("Some training captions:", captions[:6])
        test_embeddings = encode_images(x_test)
        print("Held-out test images:", x_test.shape, "-> embeddings", test_embeddings.shape)
        """,
        "model",
    ),
    markdown(
        """
        ## 2. Zero-shot classification

        **Task 1 (2 points).** Implement `zero_shot_logits(image_embeddings,
        class_embeddings, logit_scale=100.0)`: for image embeddings `(B, d)` and class
        embeddings `(C, d)`, return the `(B, C)` matrix of cosine similarities multiplied by
        `logit_scale` (CLIP's learned $1/\\tau$, 100 for the released models). Do not assume
        the embeddings are normalised, and do not use Python loops. NumPy (or `keras.ops`)
        only: `ssl_keras`'s own classifier and similarity functions are off limits here.
        """
    ),
    solution(
        """
        def zero_shot_logits(image_embeddings, class_embeddings, logit_scale=100.0):
            \"\"\"Scaled cosine similarities (B, C) between images (B, d) and classes (C, d).\"\"\"
            ### BEGIN SOLUTION
            images = np.asarray(image_embeddings, dtype="float32")
            classes = np.asarray(class_embeddings, dtype="float32")
            images = images / np.linalg.norm(images, axis=-1, keepdims=True)
            classes = classes / np.linalg.norm(classes, axis=-1, keepdims=True)
            return logit_scale * images @ classes.T
            ### END SOLUTION
        """,
        "zero_shot_logits",
    ),
    tests(
        """
        checks.check_zero_shot_logits(zero_shot_logits)
        """,
        "zero_shot_logits_tests",
        points=2,
    ),
    markdown(
        """
        **Task 2 (1 point).** Implement `zero_shot_predict(image_embeddings,
        class_embeddings)`: the predicted class index of each image, shape `(B,)` (use your
        `zero_shot_logits`).
        """
    ),
    solution(
        """
        def zero_shot_predict(image_embeddings, class_embeddings):
            \"\"\"Index of the most similar class for each image, shape (B,).\"\"\"
            ### BEGIN SOLUTION
            return np.argmax(zero_shot_logits(image_embeddings, class_embeddings), axis=-1)
            ### END SOLUTION
        """,
        "zero_shot_predict",
    ),
    tests(
        """
        checks.check_zero_shot_predict(zero_shot_predict)
        """,
        "zero_shot_predict_tests",
        points=1,
    ),
    markdown(
        """
        Your classifier on the held-out digits, with one prompt per class. Chance is 10%.
        """
    ),
    locked(
        """
        prompts = [f"a photo of the digit {word}" for word in DIGIT_WORDS]
        predictions = zero_shot_predict(test_embeddings, encode_texts(prompts))
        print(f"Zero-shot accuracy with {prompts[7]!r} & co: "
              f"{100 * np.mean(predictions == y_test):.1f}%")

        figure, axes = plt.subplots(1, 8, figsize=(12, 2))
        for axis, image, label, predicted in zip(axes, x_test, y_test, predictions):
            axis.imshow(image)
            axis.set_title(f"{DIGIT_WORDS[predicted]}", color="g" if predicted == label else "r")
            axis.axis("off")
        plt.show()
        """,
        "first_predictions",
    ),
    markdown(
        """
        ## 3. Prompt ensembling

        CLIP's paper (Section 3.1.4) embeds each class name in several templates
        ("a photo of a {}.", "a sketch of a {}.", ...) and averages: each prompt embedding
        is L2-normalised, the normalised embeddings of one class are averaged, and the mean
        is normalised again.

        **Task 3 (2 points).** Implement `ensemble_class_embeddings(prompt_embeddings)`:
        from prompt embeddings `(C, T, d)` (class `c`, template `t`) return the ensembled
        class embeddings `(C, d)`, each of norm 1.
        """
    ),
    solution(
        """
        def ensemble_class_embeddings(prompt_embeddings):
            \"\"\"Normalise (C, T, d) prompt embeddings, average over T, normalise: (C, d).\"\"\"
            ### BEGIN SOLUTION
            prompts = np.asarray(prompt_embeddings, dtype="float32")
            prompts = prompts / np.linalg.norm(prompts, axis=-1, keepdims=True)
            mean = prompts.mean(axis=1)
            return mean / np.linalg.norm(mean, axis=-1, keepdims=True)
            ### END SOLUTION
        """,
        "ensemble",
    ),
    tests(
        """
        checks.check_ensemble_class_embeddings(ensemble_class_embeddings)
        """,
        "ensemble_tests",
        points=2,
    ),
    markdown(
        """
        ## 4. Prompt variation

        The next cell classifies the test digits with several sets of prompts, using your
        three functions. "Unseen" templates use wordings (and words such as "sketch",
        "image", "this") that never occur in the mini-CLIP's training captions.
        """
    ),
    locked(
        """
        TRAINING_PROMPTS = tuple(t.replace("{word}", "{}") for t in TRAINING_TEMPLATES
                                 if "{word}" in t)


        def class_embeddings_for(class_names, templates):
            texts = [template.format(name) for name in class_names for template in templates]
            if clip_model is not None and clip_model.tokenizer.unknown_words(texts):
                print("Words the mini-CLIP does not know (ignored):",
                      clip_model.tokenizer.unknown_words(texts))
            embeddings = encode_texts(texts).reshape(len(class_names), len(templates), -1)
            return ensemble_class_embeddings(embeddings)


        def prompt_accuracy(class_names, templates):
            classes = class_embeddings_for(class_names, templates)
            return float(np.mean(zero_shot_predict(test_embeddings, classes) == y_test))


        PROMPT_SETS = {
            "names, training templates (ensemble)": (DIGIT_WORDS, TRAINING_PROMPTS),
            "names, unseen templates (ensemble)": (DIGIT_WORDS, UNSEEN_TEMPLATES),
            "numerals, unseen templates (ensemble)": (DIGIT_NUMERALS, UNSEEN_TEMPLATES),
            "names only: '{}'": (DIGIT_WORDS, ("{}",)),
            "numerals only: '{}'": (DIGIT_NUMERALS, ("{}",)),
        }
        for template in UNSEEN_TEMPLATES:
            PROMPT_SETS[f"names, {template!r}"] = (DIGIT_WORDS, (template,))
        prompt_results = {label: prompt_accuracy(*pair) for label, pair in PROMPT_SETS.items()}
        print(f"{'prompts':45s} zero-shot accuracy (chance 10%)")
        for label, accuracy in prompt_results.items():
            print(f"{label:45s} {100 * accuracy:5.1f}%")
        """,
        "prompt_variation",
    ),
    markdown(
        """
        Try your own prompts here (ungraded). With the mini-CLIP, only words from its
        vocabulary carry meaning (`caption_vocabulary()` lists them); a real CLIP accepts
        any English.
        """
    ),
    code(
        """
        my_templates = ("a drawing of the number {}", "this is a {}.")
        print(f"{100 * prompt_accuracy(DIGIT_WORDS, my_templates):.1f}%")
        """
    ),
    markdown(
        """
        **Question 1 (2 points).** Does the classification change when you vary the
        prompts? Compare single prompts with the ensemble, class names with numerals, and
        training wordings with unseen ones, and explain what you see.
        """
    ),
    written_answer(
        "prompt_question",
        points=2,
        solution_text="""
        Yes. Accuracy moves by several points between single prompts
        (""" + measured.mini_clip_range("single") + """ for the unseen templates in the full
        setting) and the individual predictions of many images change,
        because the class embedding is the text embedding of a particular sentence, not of
        the class itself: extra words shift it. Ensembling averages out the wording-specific
        part and is close to the best single prompt, without having to pick that prompt on
        test data. Numerals work as well as names because the training captions contain
        both ("handwritten 7", "a handwritten seven") and the text tower maps them to the
        same place. Unseen wordings still work since the class word dominates the
        embedding; a bare class name ("seven") is a distribution shift (captions are
        sentences), which is why CLIP uses "a photo of a {}." rather than the bare label.
        """,
    ),
    markdown(
        """
        ## 5. Error analysis

        **Task 4 (1 point).** Implement `confusion_matrix(labels, predictions, num_classes)`:
        a `(num_classes, num_classes)` array whose entry `[i, j]` counts the test images of
        true class `i` predicted as class `j` (no `sklearn.metrics`).

        **Task 5 (1 point).** Implement `per_class_accuracy(confusion)`: for each class, the
        fraction of its images that are classified correctly (its recall); 0 for a class
        with no images.
        """
    ),
    solution(
        """
        def confusion_matrix(labels, predictions, num_classes):
            \"\"\"Counts (num_classes, num_classes): row = true class, column = predicted.\"\"\"
            ### BEGIN SOLUTION
            matrix = np.zeros((num_classes, num_classes), dtype="int64")
            np.add.at(matrix, (np.asarray(labels, "int64"), np.asarray(predictions, "int64")), 1)
            return matrix
            ### END SOLUTION
        """,
        "confusion",
    ),
    tests(
        """
        checks.check_confusion_matrix(confusion_matrix)
        """,
        "confusion_tests",
        points=1,
    ),
    solution(
        """
        def per_class_accuracy(confusion):
            \"\"\"Diagonal over row sums, 0 for classes without images: shape (C,).\"\"\"
            ### BEGIN SOLUTION
            confusion = np.asarray(confusion, dtype="float64")
            totals = confusion.sum(axis=1)
            return np.diag(confusion) / np.maximum(totals, 1)
            ### END SOLUTION
        """,
        "per_class",
    ),
    tests(
        """
        checks.check_per_class_accuracy(per_class_accuracy)
        """,
        "per_class_tests",
        points=1,
    ),
    locked(
        """
        classes = class_embeddings_for(DIGIT_WORDS, UNSEEN_TEMPLATES)
        predictions = zero_shot_predict(test_embeddings, classes)
        confusion = np.asarray(confusion_matrix(y_test, predictions, 10))
        recall = np.asarray(per_class_accuracy(confusion))
        print("Worst classes:", ", ".join(
            f"{DIGIT_WORDS[c]} ({100 * recall[c]:.0f}%)" for c in np.argsort(recall)[:3]))
        off_diagonal = confusion - np.diag(np.diag(confusion))
        pairs = np.dstack(np.unravel_index(np.argsort(-off_diagonal, axis=None)[:5], (10, 10)))[0]
        print("Most frequent confusions (true -> predicted):", ", ".join(
            f"{DIGIT_WORDS[i]} -> {DIGIT_WORDS[j]} ({off_diagonal[i, j]})" for i, j in pairs))

        figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
        shown = left.imshow(confusion, cmap="Blues")
        left.set(xlabel="predicted", ylabel="true", xticks=range(10), yticks=range(10),
                 title="Zero-shot confusion matrix")
        figure.colorbar(shown, ax=left)
        right.bar(range(10), 100 * recall)
        right.set(xticks=range(10), xlabel="class", ylabel="accuracy (%)",
                  title="Per-class zero-shot accuracy")
        plt.show()

        wrong = np.flatnonzero(predictions != y_test)[:8]
        if len(wrong):
            figure, axes = plt.subplots(1, len(wrong), figsize=(1.5 * len(wrong), 2),
                                        squeeze=False)
            for axis, index in zip(axes[0], wrong):
                axis.imshow(x_test[index])
                axis.set_title(f"{y_test[index]} -> {predictions[index]}", fontsize=9)
                axis.axis("off")
            plt.show()
        """,
        "error_analysis",
    ),
    markdown(
        """
        **Question 2 (2 points).** What kind of errors does the zero-shot classifier make?
        Are they semantically (or visually) reasonable? Use the confusion matrix, the worst
        classes and the misclassified examples above.
        """
    ),
    written_answer(
        "errors_question",
        points=2,
        solution_text="""
        Most errors are between digits that look alike: 1 and 7, 3/5/8, 4 and 9, 2 and 7,
        6 and 5 or 0, often on faint, small or shifted strokes, which are also hard for a
        person at 16x16 pixels. They are visually reasonable: the image embedding places
        the digit next to similar shapes and the nearest class prompt is a similar digit.
        Errors are not uniform over classes (some classes lose far more than others),
        and they depend on the prompts, because a class whose prompt embedding is less
        typical attracts fewer images (a calibration/bias effect, as CLIP's bias towards
        some labels). A real CLIP on natural images makes similar, semantically close errors
        (cat vs dog, truck vs automobile) plus errors from ambiguous class names
        (e.g. "crane" the bird vs the machine).
        """,
    ),
    markdown(
        """
        **Question 3 (2 points).** How does zero-shot classification compare with a
        traditional supervised classifier trained on these ten classes (accuracy, what it
        needs, what it can do)?
        """
    ),
    written_answer(
        "traditional_question",
        points=2,
        solution_text="""
        A supervised classifier trained on labelled digits is more accurate on these ten
        classes (the same small CNN trained with the labels reaches
        """ + measured.accuracy("digits", "supervised") + """ here, against
        """ + measured.mini_clip_range("ensemble") + """ zero-shot with prompt ensembles),
        because it is fitted to the exact task and label
        distribution. But it needs labelled examples of every class and a fixed label set
        chosen at training time; adding a class means collecting data and retraining. The
        zero-shot classifier needs no labels for the target task: the classes are defined by
        text, so new classes, different granularity or prompt wording can be used at test
        time, and the same model also retrieves images from text. The price is sensitivity
        to the prompt wording, the biases of the pretraining captions, and weaker accuracy
        on specialised domains; a few labelled examples (linear probe on the CLIP features)
        usually closes the gap.
        """,
    ),
    markdown(
        """
        ## 6. CLIP on your own images

        The course's version of this exercise: take 5-10 images of your own, write one
        description per image and a few *distractors* (descriptions that fit none of your
        images), and let CLIP match them. This is CLIP's own demonstration (its notebook
        shows a matrix of eight images against their eight captions): each image should be
        most similar to its own description, and each description to its own image.

        **Your images.** Put 5-10 images (JPEG, PNG, ...; an iPhone's HEIC must be exported
        as JPEG) in a folder `my_images` next to this notebook and fill in the next cell:
        the description of each file, by its file name, and 2-5 distractors. On Colab,
        upload them into the folder with

        ```python
        from google.colab import files

        os.makedirs("my_images", exist_ok=True)
        for name, data in files.upload().items():
            with open(os.path.join("my_images", name), "wb") as file:
                file.write(data)
        ```

        Each image is cropped to its central square and resized
        (`ssl_keras.clip.load_described_images`). An empty folder, a file that is not a
        readable image, fewer than 5 or more than 10 images, or descriptions that do not
        name every file exactly once stop the loading cell with a message that says what to
        fix. Keep the images with the notebook when you submit it.

        **Which images make sense.** A real CLIP (the full mode above) was trained on 400
        million image-text pairs from the internet and takes everyday photos and free
        English. The offline mini-CLIP knows only what it was trained on: gray 16x16
        handwritten digits, and the words of its captions (`caption_vocabulary()`); any
        other word is one "unknown" token to it, and a photo of a mug is noise. With the
        mini-CLIP, use pictures of digits (write or draw digits and photograph them) and
        descriptions in its words, such as "a photo of the digit seven" or "handwritten 3".

        **Without your own images** (no folder `my_images`, as on the grading machine), the
        notebook uses eight bundled example images: digits drawn in small scenes (a chalk
        zero on a blackboard, a neon two, an ink three on ruled paper, a small five in a
        landscape, ...), with descriptions in the mini-CLIP's words and two distractors
        (`ssl_keras.clip.load_example_images`).
        """
    ),
    code(
        """
        # Your 5-10 images are in this folder, next to the notebook (without it, the bundled
        # example images are used).
        MY_IMAGE_FOLDER = "my_images"
        # One description per image, by file name, and 2-5 descriptions of none of them.
        MY_DESCRIPTIONS = {
            # "IMG_0042.jpg": "a photo of the digit seven",
        }
        MY_DISTRACTORS = [
            # "a photo of the digit two",
        ]
        """
    ),
    locked(
        """
        image_folder = globals().get("MY_IMAGE_FOLDER", "my_images")
        # The mini-CLIP takes 16x16 images; a keras-hub CLIP resizes what it gets.
        model_image_size = 224 if clip_model is None else clip_model.image_shape[:2]
        if os.path.isdir(image_folder):
            own, shown = (
                load_described_images(image_folder, globals().get("MY_DESCRIPTIONS", {}),
                                      globals().get("MY_DISTRACTORS", []), image_size=size)
                for size in (model_image_size, 128)
            )
            print(f"Your {len(own.images)} images from {image_folder!r}.")
        else:
            own, shown = load_example_images(model_image_size), load_example_images(128)
            print(f"No folder {image_folder!r} here: the {len(own.images)} bundled example "
                  "images.")
        own_texts = own.texts  # the descriptions (text i describes image i), then distractors
        own_matches = np.arange(len(own.images))
        own_thumbnails = shown.images
        if clip_model is not None and clip_model.tokenizer.unknown_words(own_texts):
            print("Words the mini-CLIP does not know (each is one 'unknown' token to it):",
                  clip_model.tokenizer.unknown_words(own_texts))
        own_image_embeddings = encode_images(own.images)
        own_text_embeddings = encode_texts(own_texts)
        # The logit scale the model was trained with: the mini-CLIP's 1 / temperature, or the
        # keras-hub CLIP's learned scale.
        own_logit_scale = (1.0 / clip_model.temperature if clip_model is not None
                           else hub_classifier.scale)

        rows = 1 if clip_model is None else 2
        figure, axes = plt.subplots(rows, len(own_thumbnails), squeeze=False,
                                    figsize=(1.7 * len(own_thumbnails), 2.2 * rows))
        for column, (image, description) in enumerate(zip(own_thumbnails, own.descriptions)):
            axes[0, column].imshow(image)
            axes[0, column].set_title(textwrap.fill(description, 16), fontsize=8)
            if rows == 2:
                axes[1, column].imshow(own.images[column])
            for axis in axes[:, column]:
                axis.axis("off")
        if rows == 2:
            axes[1, 0].set_title("what the mini-CLIP sees", fontsize=8, loc="left")
        plt.show()
        print("Distractors:", own.distractors)
        """,
        "own_images",
    ),
    markdown(
        """
        **Task 6 (2 points).** Implement `description_probabilities(image_embeddings,
        text_embeddings, logit_scale=100.0)`: for `B` images and `T` texts, the `(B, T)`
        matrix whose row `i` is the softmax, over the `T` texts, of `logit_scale` times the
        cosine similarities of image `i` with each text. It is CLIP's probability that text
        `t` is the caption of image `i` among the candidates (`logits_per_image.softmax(
        dim=-1)` in CLIP's own code); each row sums to 1. You may call your
        `zero_shot_logits`. Subtract each row's maximum before the exponential: this does
        not change the softmax, and without it a large logit overflows (`exp(89)` is
        infinite in float32). NumPy or `keras.ops` (e.g. `keras.ops.softmax`); `ssl_keras`'s
        own classifier, similarity and softmax functions are off limits here.
        """
    ),
    solution(
        """
        def description_probabilities(image_embeddings, text_embeddings, logit_scale=100.0):
            \"\"\"Row i: softmax over the texts of image i's scaled cosine similarities.\"\"\"
            ### BEGIN SOLUTION
            logits = np.asarray(zero_shot_logits(image_embeddings, text_embeddings, logit_scale))
            weights = np.exp(logits - logits.max(axis=-1, keepdims=True))
            return weights / weights.sum(axis=-1, keepdims=True)
            ### END SOLUTION
        """,
        "description_probabilities",
    ),
    tests(
        """
        checks.check_description_probabilities(description_probabilities)
        """,
        "probabilities_tests",
        points=2,
    ),
    markdown(
        """
        **Task 7 (2 points).** Implement `retrieval_accuracy(similarity, matches)`.
        `similarity` is a `(B, T)` matrix (image `i`, text `t`) and text `matches[i]` is the
        description of image `i`; the other texts are distractors. Return the pair
        `(image_to_text, text_to_image)`:

        - image-to-text: the fraction of the `B` images whose most similar text, among all
          `T` texts (distractors included), is their own description;
        - text-to-image: the fraction of the `B` descriptions whose most similar image is
          their own image (distractors have no image to find: they are not queries).

        Call it with similarities (or logits), not with the probabilities of Task 6: a
        softmax over each row changes how the entries of a column compare. Ties go to the
        first index, as with `np.argmax`.
        """
    ),
    solution(
        """
        def retrieval_accuracy(similarity, matches):
            \"\"\"(image-to-text, text-to-image) top-1 accuracy; text matches[i] is image i's.\"\"\"
            ### BEGIN SOLUTION
            similarity = np.asarray(similarity)
            matches = np.asarray(matches, dtype="int64")
            images = np.arange(len(matches))
            image_to_text = np.mean(np.argmax(similarity, axis=1) == matches)
            text_to_image = np.mean(np.argmax(similarity[:, matches], axis=0) == images)
            return image_to_text, text_to_image
            ### END SOLUTION
        """,
        "retrieval_accuracy",
    ),
    tests(
        """
        checks.check_retrieval_accuracy(retrieval_accuracy)
        """,
        "retrieval_tests",
        points=2,
    ),
    markdown(
        """
        Your functions on your images (or the examples): which text each image picks, and
        how often images and descriptions find each other.
        """
    ),
    locked(
        """
        own_similarity = np.asarray(
            zero_shot_logits(own_image_embeddings, own_text_embeddings, logit_scale=1.0))
        own_probabilities = np.asarray(description_probabilities(
            own_image_embeddings, own_text_embeddings, logit_scale=own_logit_scale))
        image_to_text, text_to_image = retrieval_accuracy(own_similarity, own_matches)
        count, texts = len(own_matches), len(own_texts)
        print(f"Probabilities at the model's logit scale {own_logit_scale:.0f}.")
        print(f"image -> text: {100 * image_to_text:.0f}% of the {count} images pick their own "
              f"description among the {texts} texts (chance {100 / texts:.0f}%)")
        print(f"text -> image: {100 * text_to_image:.0f}% of the {count} descriptions pick their "
              f"own image (chance {100 / count:.0f}%)")
        for index, name in enumerate(own.file_names):
            best = int(np.argmax(own_probabilities[index]))
            verdict = "right" if best == own_matches[index] else "WRONG"
            print(f"{name:24s} {verdict:5s} picks {own_texts[best]!r} "
                  f"({100 * own_probabilities[index, best]:.0f}%)")
        """,
        "own_matching",
    ),
    markdown(
        """
        **Similarity plot (1 point, graded by hand).** In the code cell *below the next
        answer cell*, draw `own_probabilities` (or `own_similarity`) as a matrix: one row
        per image, with the image beside its row (`own_thumbnails`), one column per text
        with the text as its label (`own_texts`: the descriptions, then the distractors), a
        colour bar, the values in the cells, and each image's own description marked. Then
        paste your figure into the answer cell (drag the image into the cell, or save it
        with `figure.savefig("similarity.png")` and insert it) with one sentence on what it
        shows. The graders see the figure you pasted, drawn from your images, and the one
        your cell draws when the notebook is graded (from the bundled examples: the grading
        machine does not have your images).
        """
    ),
    written_answer(
        "similarity_plot",
        points=1,
        solution_text="""
        (A figure is pasted here.) The probabilities of the texts for each image: rows are
        the images (each shown beside its row), columns the descriptions and then the
        distractors, labelled with their words; a colour bar from 0 to 1, the value in each
        cell, and a frame around each image's own description. An image matched right has
        its largest value inside the frame. Full marks: a readable matrix with images and
        texts identifiable, scale and marked descriptions; half: a bare heat map without
        the images or labels.
        """,
    ),
    solution(
        """
        # Your plot of own_probabilities (images x texts): the images beside the rows, the
        # texts as column labels, a colour bar, the values, each own description marked.
        ### BEGIN SOLUTION
        count, texts = own_probabilities.shape
        figure, axis = plt.subplots(figsize=(0.9 * texts + 3, 0.8 * count + 2))
        shown_matrix = axis.imshow(own_probabilities, cmap="viridis", vmin=0, vmax=1)
        for row in range(count):
            axis.imshow(own_thumbnails[row], extent=(-1.45, -0.55, row + 0.45, row - 0.45))
            axis.add_patch(plt.Rectangle((own_matches[row] - 0.5, row - 0.5), 1, 1, fill=False,
                                         edgecolor="red", linewidth=2))
            for column in range(texts):
                value = own_probabilities[row, column]
                axis.text(column, row, f"{value:.2f}", ha="center", va="center", fontsize=7,
                          color="black" if value > 0.5 else "white")
        axis.axvline(count - 0.5, color="white", linestyle="--")  # descriptions | distractors
        axis.set_xlim(-1.5, texts - 0.5)
        axis.set_ylim(count - 0.5, -0.5)
        axis.set_xticks(range(texts), [textwrap.fill(text, 18) for text in own_texts],
                        rotation=60, ha="right", fontsize=8)
        axis.set_yticks([])
        figure.colorbar(shown_matrix, ax=axis, label="probability of the text (softmax per row)")
        axis.set_title("Each image's probabilities over the texts (red: its own description)")
        plt.show()
        ### END SOLUTION
        """,
        "similarity_plot_code",
    ),
    markdown(
        """
        **Question 4 (2 points).** Where did CLIP match your images with their
        descriptions, and where not? Look at the wrong matches and at the distractors that
        attracted images: are the mistakes understandable (what do the image, or the
        wording, share with the text it picked)? Say which model you used and what its
        training explains (the mini-CLIP's digits and words, or a real CLIP's web data).
        Change the wording of one or two descriptions and say whether the matches change.
        """
    ),
    written_answer(
        "own_images_question",
        points=2,
        solution_text="""
        (Depends on the student's images; graded on the observation and its explanation.)
        With the bundled examples and the mini-CLIP in the full setting
        (""" + EXAMPLES["where"] + """), """ + EXAMPLES["image_to_text"] + """ images picked
        their own description among the """ + EXAMPLES["texts"] + """ texts (chance 1 in
        """ + EXAMPLES["texts"] + """) and
        """ + EXAMPLES["text_to_image"] + """ descriptions picked their own image. Right:
        """ + EXAMPLES["right"] + """. Wrong (image -> the text it picked):
        """ + EXAMPLES["wrong"] + """. The mini-CLIP learned from 1,258 gray 16x16
        handwritten digits, light strokes on a darker background, and from captions that
        differ only in the digit (as a word or a numeral): the digit is all a description
        says to it, colour and scene words are unknown to it, and each example picture is
        a distribution shift of its own (colours, a glow, a digit in a sign, a small digit
        in a landscape, a dark digit on white paper). Eight images and one training run are
        an anecdote, not a measurement of which shift hurts most: a good answer names what
        separates the failed pictures from the training digits, tries a change of wording
        and reports what it did. For this model the words around the digit occur in the
        captions of every digit, so they cannot tell digits apart; only the digit word can.
        A real CLIP should match everyday photos with specific descriptions far better (the
        course's claim; not measured here), and wording matters more for it (the prompt
        engineering of Section 3.1.4). Its own paper names failures such images can show:
        zero-shot CLIP reaches only 88% on MNIST's handwritten digits, below a logistic
        regression on the raw pixels, and it struggles with counting objects and other
        abstract tasks (Radford et al., 2021, Section 6), and a word written on an object
        can override what the object is (the "typographic attacks" of Goh et al., 2021).
        """,
    ),
]


if __name__ == "__main__":
    print(write_notebook(CELLS, HERE / "clip_zero_shot.ipynb"))
