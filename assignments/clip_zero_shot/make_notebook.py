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

CELLS = [
    markdown(
        """
        # CLIP: zero-shot classification (13 P)

        CLIP (Radford et al., 2021) trains an image encoder $f$ and a text encoder $g$ so
        that an image and its caption land close together in one embedding space. A
        classifier then needs no training at all: write one text prompt per class
        ("a photo of a seven"), embed it, and predict the class whose prompt is most
        similar to the image,

        $$\\hat c(x) = \\arg\\max_i \\; \\frac{f(x)^\\top g(t_i)}{\\lVert f(x)\\rVert\\,
        \\lVert g(t_i)\\rVert}.$$

        In this assignment you implement that classifier (Task 1 and 2), prompt
        ensembling (Task 3), and the error analysis (Task 4 and 5), and you study how the
        wording of the prompts changes the predictions.

        **How this is graded (13 points).** Tasks 1-5 (7 points, autograded): each task's
        test cell runs its visible checks; the grader also runs hidden cases on your
        functions, outside the notebook, and refuses calls to the library's own
        implementation of what the task teaches (names in comments or scratch cells never
        matter). Questions 1-3 (6 points) are written answers, graded by hand.

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
        import matplotlib.pyplot as plt
        from ssl_keras_autograder.checks import clip_zero_shot as checks

        from ssl_keras.clip import (
            DIGIT_NUMERALS,
            DIGIT_WORDS,
            TRAINING_TEMPLATES,
            UNSEEN_TEMPLATES,
            caption_digits,
            caption_vocabulary,
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
]


if __name__ == "__main__":
    print(write_notebook(CELLS, HERE / "clip_zero_shot.ipynb"))
