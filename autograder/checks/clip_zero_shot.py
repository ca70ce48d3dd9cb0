"""Visible checks of the clip_zero_shot assignment: zero-shot logits, prediction, prompt
ensembling, confusion matrix, per-class accuracy, and matching descriptions to images
(probabilities over the descriptions, retrieval accuracy both ways).

Each check evaluates the student's function on the visible cases below and compares the
values with the stored expected values (`expected/clip_zero_shot.json`, computed by the
grader from CLIP's definitions, Radford et al., 2021, Section 3.1). The grader evaluates
the same cases and hidden ones outside the notebook.
"""

from __future__ import annotations

import sys

import numpy as np

from . import _core
from ._core import Case, normal, to_array

NAME = "clip_zero_shot"

# test cell grade_id -> the student's function, in notebook order
TASKS = {
    "zero_shot_logits_tests": "zero_shot_logits",
    "zero_shot_predict_tests": "zero_shot_predict",
    "ensemble_tests": "ensemble_class_embeddings",
    "confusion_tests": "confusion_matrix",
    "per_class_tests": "per_class_accuracy",
    "probabilities_tests": "description_probabilities",
    "retrieval_tests": "retrieval_accuracy",
}


# ------------------------------------------------------------------ measures


def self_similarity(zero_shot_logits, embeddings):
    """The diagonal of the logits of `embeddings` against themselves, scale 1."""
    return np.diag(to_array(zero_shot_logits(embeddings, embeddings, logit_scale=1.0)))


def norms(ensemble_class_embeddings, prompt_embeddings):
    """The length of each ensembled class embedding."""
    return np.linalg.norm(to_array(ensemble_class_embeddings(prompt_embeddings)), axis=-1)


def row_sums(description_probabilities, image_embeddings, text_embeddings, **kwargs):
    """The sum of each row (one image) of the probabilities over the descriptions."""
    return to_array(description_probabilities(image_embeddings, text_embeddings, **kwargs)).sum(
        axis=-1)


# ------------------------------------------------------------------ inputs


def _images_and_classes():
    return normal(1, (3, 5), (4, 5))


def _prompts():
    return normal(3, (3, 4, 5))[0]


_STRETCH = np.array([1.0, 100.0, 1.0, 0.01], "float32")[None, :, None]


def _image_equals_a_text():
    """3 images pointing exactly as descriptions 2, 0 and 3 of 4 (lengths x2, x0.5, x1)."""
    (texts,) = normal(33, (4, 8))
    return [texts[[2, 0, 3]] * np.array([[2.0], [0.5], [1.0]], "float32"), texts]


# 3 images, 3 descriptions (columns 0-2) and 2 distractors (columns 3-4), by hand: image 0
# finds its description, images 1 and 2 a distractor; every description finds its image.
_HAND_SIMILARITY = np.array([[0.9, 0.2, 0.1, 0.3, 0.0],
                             [0.5, 0.4, 0.1, 0.6, 0.2],
                             [0.1, 0.3, 0.8, 0.2, 0.85]], "float32")


def planted_similarity(seed, matches, num_texts, signal=1.5):
    """Random similarities (images, texts) plus `signal` where image i meets text
    matches[i]: most, not all, images and descriptions find each other."""
    rng = np.random.default_rng(seed)
    similarity = rng.standard_normal((len(matches), num_texts)).astype("float32")
    similarity[np.arange(len(matches)), matches] += signal
    return similarity

VISIBLE: dict[str, Case] = {
    # zero_shot_logits
    "logits_small": Case(
        task="zero_shot_logits",
        inputs=_images_and_classes,
        atol=1e-3,
        description="zero_shot_logits on 3 images and 4 classes (scale 100)",
        mistakes=(
            ("dot_products", "plain dot products: divide by the norms of both embeddings"),
            ("unscaled", "cosine similarities without the factor `logit_scale`"),
            ("norm_over_batch", "norms taken over the batch (axis 0) instead of over each "
                                "embedding (axis -1)"),
        ),
    ),
    "logits_self": Case(
        task="zero_shot_logits",
        measure="self_similarity",
        inputs=lambda: [_images_and_classes()[1]],
        description="The cosine similarity of an embedding with itself (logit_scale=1)",
        mistakes=(
            ("dot_products", "plain dot products: divide by the norms of both embeddings"),
        ),
    ),
    "logits_lengths": Case(
        task="zero_shot_logits",
        inputs=lambda: [_images_and_classes()[0] * 10.0, _images_and_classes()[1] * 0.1],
        kwargs={"logit_scale": 1.0},
        description="Logits must not depend on the embeddings' lengths (images x10, "
                    "classes x0.1, logit_scale=1)",
        mistakes=(
            ("dot_products", "plain dot products: divide by the norms of both embeddings"),
        ),
    ),
    # zero_shot_predict
    "predict_easy": Case(
        task="zero_shot_predict",
        inputs=lambda: [
            np.array([[0.1, 0.9, 0.0, 0.0], [0.0, 0.2, 0.8, 0.1], [2.0, 0.0, 0.1, 0.0]],
                     dtype="float32"),
            np.eye(3, 4, dtype="float32"),
        ],
        description="Predicted classes of three easy images (one class index per image, "
                    "shape (3,))",
        mistakes=(
            ("argmin", "the least similar class (argmin) instead of the most similar one"),
        ),
    ),
    "predict_lengths": Case(
        task="zero_shot_predict",
        inputs=lambda: [
            normal(2, (10, 6), (4, 6))[0],
            normal(2, (10, 6), (4, 6))[1] * np.array([[0.01], [1.0], [50.0], [3.0]], "float32"),
        ],
        description="Predictions with class embeddings of very different lengths",
        mistakes=(
            ("dot_products", "the dot product was used: use the cosine similarity "
                             "(your zero_shot_logits)"),
        ),
    ),
    # ensemble_class_embeddings
    "ensemble_small": Case(
        task="ensemble_class_embeddings",
        inputs=lambda: [_prompts()],
        description="ensemble_class_embeddings on 3 classes x 4 templates",
        mistakes=(
            ("mean_then_normalise", "the prompt embeddings were averaged without normalising "
                                    "each of them first"),
            ("not_renormalised", "the mean of the normalised prompts was not normalised again"),
        ),
    ),
    "ensemble_norms": Case(
        task="ensemble_class_embeddings",
        measure="norms",
        inputs=lambda: [_prompts()],
        description="The norm of each class embedding (normalise the mean)",
        mistakes=(
            ("not_renormalised", "the mean of the normalised prompts was not normalised again"),
        ),
    ),
    "ensemble_one_template": Case(
        task="ensemble_class_embeddings",
        inputs=lambda: [_prompts()[:, :1] * 4.0],
        description="With one template, the class embedding is the normalised prompt "
                    "embedding",
    ),
    "ensemble_stretched": Case(
        task="ensemble_class_embeddings",
        inputs=lambda: [_prompts() * _STRETCH],
        description="Each prompt embedding must be normalised BEFORE averaging (prompts of "
                    "lengths x1, x100, x1, x0.01)",
        mistakes=(
            ("mean_then_normalise", "the prompt embeddings were averaged without normalising "
                                    "each of them first"),
        ),
    ),
    # confusion_matrix
    "confusion_small": Case(
        task="confusion_matrix",
        inputs=lambda: [np.array([0, 0, 1, 2, 2, 2]), np.array([0, 1, 1, 2, 0, 2]), 3],
        description="confusion_matrix of 6 predictions (rows = true class, "
                    "columns = predicted)",
        mistakes=(
            ("transposed", "rows and columns are swapped: row = true class, "
                           "column = predicted class"),
        ),
    ),
    "confusion_one_image": Case(
        task="confusion_matrix",
        inputs=lambda: [np.array([1]), np.array([1]), 5],
        description="num_classes=5 with only class 1 present (a 5x5 matrix with one count)",
        mistakes=(
            ("observed_classes", "the matrix was sized by the classes that occur instead "
                                 "of `num_classes`"),
        ),
    ),
    # per_class_accuracy
    "per_class_small": Case(
        task="per_class_accuracy",
        inputs=lambda: [np.array([[3, 1, 0], [2, 2, 0], [0, 0, 5]], dtype="float64")],
        description="per_class_accuracy of a 3-class confusion matrix (diagonal / row sum)",
        mistakes=(
            ("columns", "the diagonal was divided by the column sums (predicted classes) "
                        "instead of the row sums (true classes)"),
        ),
    ),
    "per_class_empty": Case(
        task="per_class_accuracy",
        inputs=lambda: [np.array([[2, 0], [0, 0]], dtype="float64")],
        description="A class without any test image should get accuracy 0 (not NaN)",
    ),
    # description_probabilities
    "probabilities_small": Case(
        task="description_probabilities",
        inputs=lambda: normal(31, (3, 6), (5, 6)),
        kwargs={"logit_scale": 5.0},
        description="description_probabilities of 3 images and 5 descriptions "
                    "(logit_scale=5): a (3, 5) matrix, each row a softmax over the descriptions",
        mistakes=(
            ("no_normalisation", "plain dot products: normalise both embeddings first (the "
                                 "cosine similarity, as in your zero_shot_logits)"),
            ("softmax_over_images", "a softmax over the images (axis 0): each row, one "
                                    "image, should sum to 1 over the descriptions"),
            ("transposed", "the matrix is (descriptions, images): the rows should be the "
                           "images"),
            ("unscaled", "the softmax of the cosine similarities without the factor "
                         "`logit_scale`"),
        ),
    ),
    "probabilities_row_sums": Case(
        task="description_probabilities",
        measure="row_sums",
        inputs=lambda: normal(32, (4, 5), (7, 5)),
        kwargs={"logit_scale": 10.0},
        description="Each row (one image) sums to 1 over the 7 descriptions",
        mistakes=(
            ("softmax_over_images", "a softmax over the images (axis 0): each row, one "
                                    "image, should sum to 1 over the descriptions"),
        ),
    ),
    "probabilities_overflow": Case(
        task="description_probabilities",
        inputs=_image_equals_a_text,
        kwargs={"logit_scale": 1000.0},
        description="Images pointing exactly as one of the descriptions, at logit_scale=1000 "
                    "(a temperature of 0.001): the largest logit is 1000, and exp(1000) "
                    "overflows to inf even in float64 (exp(89) already does in float32), and "
                    "inf / inf is NaN, unless you subtract each row's maximum before the "
                    "exponential (which does not change the softmax)",
    ),
    "probabilities_lengths": Case(
        task="description_probabilities",
        inputs=lambda: [normal(34, (3, 4))[0] * np.array([[0.1], [1.0], [20.0]], "float32"),
                        normal(35, (4, 4))[0] * np.array([[3.0], [0.2], [1.0], [8.0]],
                                                         "float32")],
        kwargs={"logit_scale": 1.0},
        description="Probabilities must not depend on the embeddings' lengths (logit_scale=1)",
        mistakes=(
            ("no_normalisation", "plain dot products: normalise both embeddings first (the "
                                 "cosine similarity, as in your zero_shot_logits)"),
        ),
    ),
    # retrieval_accuracy
    "retrieval_hand": Case(
        task="retrieval_accuracy",
        inputs=lambda: [_HAND_SIMILARITY, np.array([0, 1, 2])],
        description="retrieval_accuracy of 3 images, their descriptions (texts 0-2) and 2 "
                    "distractors (texts 3-4): image-to-text 1/3 (images 1 and 2 pick a "
                    "distractor), text-to-image 3/3",
        mistakes=(
            ("text_axis", "for text-to-image, the best image of a description is the argmax "
                          "down its column (over the images, axis 0), not along a row"),
            ("distractor_queries", "the distractors were counted as text queries: only the "
                                   "descriptions (`matches`) have an image to find"),
            ("ignore_distractors", "image-to-text compared only the descriptions: a "
                                   "distractor can be an image's best text (and is then a "
                                   "miss)"),
        ),
    ),
    "retrieval_shuffled": Case(
        task="retrieval_accuracy",
        inputs=lambda: [planted_similarity(78, [3, 0, 5, 1], 6), np.array([3, 0, 5, 1])],
        description="4 images whose descriptions are texts 3, 0, 5 and 1 (`matches`); texts 2 "
                    "and 4 are distractors",
        mistakes=(
            ("arange", "`matches` was ignored: the description of image i is text "
                       "matches[i], not text i"),
            ("text_axis", "for text-to-image, the best image of a description is the argmax "
                          "down its column (over the images, axis 0), not along a row"),
            ("distractor_queries", "the distractors were counted as text queries: only the "
                                   "descriptions (`matches`) have an image to find"),
        ),
    ),
}


# ------------------------------------------------------------------ visible checks


def check_zero_shot_logits(zero_shot_logits) -> None:
    """Visible checks of `zero_shot_logits(image_embeddings, class_embeddings, logit_scale)`."""
    _core.check(sys.modules[__name__], "zero_shot_logits", zero_shot_logits)


def check_zero_shot_predict(zero_shot_predict) -> None:
    """Visible checks of `zero_shot_predict(image_embeddings, class_embeddings)`."""
    _core.check(sys.modules[__name__], "zero_shot_predict", zero_shot_predict)


def check_ensemble_class_embeddings(ensemble_class_embeddings) -> None:
    """Visible checks of `ensemble_class_embeddings(prompt_embeddings)`."""
    _core.check(sys.modules[__name__], "ensemble_class_embeddings", ensemble_class_embeddings)


def check_confusion_matrix(confusion_matrix) -> None:
    """Visible checks of `confusion_matrix(labels, predictions, num_classes)`."""
    _core.check(sys.modules[__name__], "confusion_matrix", confusion_matrix)


def check_per_class_accuracy(per_class_accuracy) -> None:
    """Visible checks of `per_class_accuracy(confusion)`."""
    _core.check(sys.modules[__name__], "per_class_accuracy", per_class_accuracy)


def check_description_probabilities(description_probabilities) -> None:
    """Visible checks of `description_probabilities(image_embeddings, text_embeddings,
    logit_scale)`."""
    _core.check(sys.modules[__name__], "description_probabilities", description_probabilities)


def check_retrieval_accuracy(retrieval_accuracy) -> None:
    """Visible checks of `retrieval_accuracy(similarity, matches)`."""
    _core.check(sys.modules[__name__], "retrieval_accuracy", retrieval_accuracy)
