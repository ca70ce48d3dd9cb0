"""Mini-CLIP on the embedded digits: zero-shot accuracy on held-out images, unseen prompts.

Trains `ssl_keras.clip.MiniCLIP` with CLIP's contrastive loss on captioned training digits
("a photo of the digit seven", "handwritten 7", ...), then classifies the held-out test
digits with `CLIPZeroShotClassifier` from class names alone, with the training templates
and with prompt wordings never seen in training ("an image of a seven."). Chance is 10%.
Then matches the bundled example images (`ssl_keras.clip.load_example_images`: digits in
small coloured scenes) with their descriptions and two distractors, as the notebook's
"own images" part does where there are no own images.

Usage (about 1-3 minutes on 2 CPU cores):
    KERAS_BACKEND=jax python benchmarks/mini_clip_zero_shot.py [--epochs 12] [--seed 0]

Measured figures, with the machine: benchmarks/RESULTS.md.
"""

import argparse
import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _common  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402

from ssl_keras.clip import (  # noqa: E402
    DIGIT_NUMERALS,
    DIGIT_WORDS,
    TRAINING_TEMPLATES,
    UNSEEN_TEMPLATES,
    caption_digits,
    caption_vocabulary,
    load_example_images,
    train_mini_clip,
)
from ssl_keras.data import load_digits  # noqa: E402
from ssl_keras.models.clip_zero_shot import CLIPZeroShotClassifier  # noqa: E402


def zero_shot_accuracy(model, images, labels, class_names, templates):
    classifier = CLIPZeroShotClassifier(
        model.encode_images, model.encode_texts, class_names, templates=templates,
        temperature=model.temperature,
    )
    return float(np.mean(classifier.predict_classes(images) == labels))


def match_examples(model) -> dict:
    """The mini-CLIP on the bundled example images: which text each image picks (by cosine
    similarity, among descriptions and distractors) and the retrieval accuracies."""
    examples = load_example_images(image_size=model.image_shape[:2])
    images = model.encode_images(examples.images)
    texts = model.encode_texts(examples.texts)
    images = images / np.linalg.norm(images, axis=1, keepdims=True)
    texts = texts / np.linalg.norm(texts, axis=1, keepdims=True)
    similarity = images @ texts.T
    own = np.arange(len(examples.images))
    best_text = similarity.argmax(axis=1)
    best_image = similarity[:, own].argmax(axis=0)
    return {
        "image_to_text": float(np.mean(best_text == own)),
        "text_to_image": float(np.mean(best_image == own)),
        "images": {
            name: {"description": description, "best_text": examples.texts[best],
                   "right": bool(best == index)}
            for index, (name, description, best) in enumerate(
                zip(examples.file_names, examples.descriptions, best_text))
        },
        "distractors": list(examples.distractors),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--captions-per-image", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--learning-rate", type=float, default=3e-3)
    parser.add_argument("--temperature", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", default=None, help="optional JSON file for the figures")
    args = parser.parse_args(argv)

    keras.utils.set_random_seed(args.seed)
    (x_train, y_train), (x_test, y_test) = load_digits(seed=args.seed)
    images, captions, _ = caption_digits(
        x_train, y_train, TRAINING_TEMPLATES, captions_per_image=args.captions_per_image,
        seed=args.seed,
    )
    vocabulary = caption_vocabulary()
    start = time.perf_counter()
    model, history = train_mini_clip(
        images, captions, vocabulary, epochs=args.epochs, batch_size=args.batch_size,
        learning_rate=args.learning_rate, temperature=args.temperature, seed=args.seed,
        verbose=2,
    )
    training_seconds = time.perf_counter() - start
    seen_words = {word for caption in captions for word in model.tokenizer.split(caption)}

    single_slot_training = tuple(
        template.replace("{word}", "{}") for template in TRAINING_TEMPLATES
        if "{word}" in template
    )
    rows = {
        "names, training templates (ensemble)": (DIGIT_WORDS, single_slot_training),
        "names, unseen templates (ensemble)": (DIGIT_WORDS, UNSEEN_TEMPLATES),
        "numerals, unseen templates (ensemble)": (DIGIT_NUMERALS, UNSEEN_TEMPLATES),
    }
    for template in UNSEEN_TEMPLATES:
        rows[f"names, {template!r}"] = (DIGIT_WORDS, (template,))
        rows[f"numerals, {template!r}"] = (DIGIT_NUMERALS, (template,))
    results = {}
    for label, (class_names, templates) in rows.items():
        prompts = [template.format(name) for template in templates for name in class_names]
        unknown = model.tokenizer.unknown_words(prompts)
        if unknown:
            raise ValueError(f"Prompts with words outside the vocabulary: {unknown}")
        results[label] = zero_shot_accuracy(model, x_test, y_test, class_names, templates)

    examples = match_examples(model)
    unseen_words = sorted({word for template in UNSEEN_TEMPLATES
                           for word in model.tokenizer.split(template)} - seen_words)
    print(f"\nbackend={keras.backend.backend()} train pairs={len(images)} "
          f"test images={len(x_test)} epochs={args.epochs} "
          f"final loss={history.history['loss'][-1]:.3f} training={training_seconds:.0f}s")
    print(f"words of the unseen prompts never seen in training: {unseen_words}")
    print(f"{'zero-shot on held-out test digits':55s} accuracy (chance 10%)")
    for label, accuracy in results.items():
        print(f"{label:55s} {100 * accuracy:5.1f}%")
    print(f"\nexample images: image-to-text {100 * examples['image_to_text']:.1f}%, "
          f"text-to-image {100 * examples['text_to_image']:.1f}% "
          f"(chance {100 / (len(examples['images']) + len(examples['distractors'])):.0f}% "
          f"and {100 / len(examples['images']):.1f}%)")
    for name, result in examples["images"].items():
        print(f"  {name:22s} {result['description']!r:32s} -> {result['best_text']!r}")
    # The clip_zero_shot notebook states these figures: keep them with the machine.
    _common.write_result("mini_clip_zero_shot", keras.backend.backend(), {
        "machine": _common.machine(), "args": vars(args),
        "command": "python benchmarks/mini_clip_zero_shot.py " + " ".join(sys.argv[1:]),
        "training_seconds": round(training_seconds, 1), "unseen_words": unseen_words,
        "accuracy": results, "example_images": examples})
    if args.output:
        with open(args.output, "w") as file:
            json.dump({"backend": keras.backend.backend(), "args": vars(args),
                       "training_seconds": training_seconds, "accuracy": results}, file,
                      indent=2)
    return results


if __name__ == "__main__":
    main()
