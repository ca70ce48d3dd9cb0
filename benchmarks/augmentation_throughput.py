"""Views/s of `SimCLRAugmentation` on the device, compiled, and its share of a training step.

For each batch of B uint8 images (32x32x3, already on the device) the layer draws the
two views (2B views: one pass over `[x; x]`), compiled the backend's way:
jax `jax.jit` of `stateless_call` (the seed state threaded through), tensorflow
`tf.function(jit_compile=True)`, torch eager (Keras's default there) or `torch.compile`
with --torch-compile. Median over --steps calls after --warmup untimed ones.

With --components, each step of the pipeline (crop, flip, colour jitter with its 0.8
probability, grayscale) is also timed alone on 2B images, to show where the time goes.

Share of a training step: the augmentation time of B images divided by the ssl_keras
training-step time (with augmentation) for the same backend, batch and precision, read
from benchmarks/results/training_throughput_<backend>.json when that benchmark has been
run with the same batch size (small CNN and ResNet-18 columns); `training_throughput.py`
also measures it directly as 1 - t(no aug) / t(aug).

Usage:
    nice python benchmarks/augmentation_throughput.py --quick --backends jax,tensorflow,torch
    python benchmarks/augmentation_throughput.py --backends jax,tensorflow,torch  # GPU

Writes benchmarks/results/augmentation_throughput_<backend>.json.
"""

import argparse
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _common  # noqa: E402
import numpy as np  # noqa: E402

NAME = "augmentation_throughput"
COLUMNS = [
    ("backend", "backend"), ("batch", "images B"), ("what", "what"),
    ("ms", "ms per call"), ("views_per_s", "views/s"),
    ("share_small_cnn", "share of small-CNN step"), ("share_resnet18", "share of ResNet-18 step"),
]


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backends", default=None)
    parser.add_argument("--batch-sizes", default="256,1024")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="batch 32, 5 steps")
    parser.add_argument("--components", action="store_true",
                        help="also time each step of the pipeline alone")
    parser.add_argument("--torch-compile", action="store_true")
    args = parser.parse_args(argv)
    if args.quick:
        joined = " ".join(argv)
        args.batch_sizes = args.batch_sizes if "--batch-sizes" in joined else "32"
        args.steps = args.steps if "--steps" in joined else 5
    args.batch_sizes = [int(b) for b in args.batch_sizes.split(",")]
    return args


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    if args.backends:
        results = _common.run_per_backend(
            __file__, args.backends.split(","), _common.strip_backends_flag(argv)
        )
        print("\n=== all backends ===")
        print(_common.format_table([row for r in results for row in r["rows"]], COLUMNS))
        return
    run(args)


def run(args):
    import keras

    from ssl_keras.layers import SimCLRAugmentation

    backend = keras.backend.backend()
    steps = training_steps(backend)
    rows = []
    for batch in args.batch_sizes:
        images = keras.ops.convert_to_tensor(
            np.random.default_rng(0).integers(0, 256, (batch, 32, 32, 3), dtype=np.uint8)
        )
        layer = SimCLRAugmentation(preset="cifar", seed=0)
        layer.build(images.shape)
        targets = [("SimCLRAugmentation (2 views)", layer, images, 2 * batch)]
        if args.components:
            doubled = keras.ops.cast(keras.ops.concatenate([images, images], 0), "float32")
            for name in ("crop", "flip", "color_jitter", "grayscale"):
                targets.append((f"  {name} only", getattr(layer, name), doubled, 2 * batch))
        for what, target, inputs, views in targets:
            call = compiled_call(backend, target, args.torch_compile)
            timing = _common.time_steps(lambda: call(inputs), _common.synchronizer(),
                                        args.warmup, args.steps)
            row = {"backend": backend, "batch": batch, "what": what,
                   "ms": 1000 * timing["median_s"], "views_per_s": views / timing["median_s"],
                   "timing": timing}
            if target is layer:
                for model in ("small_cnn", "resnet18"):
                    step = steps.get((model, batch))
                    row[f"share_{model}"] = None if step is None else timing["median_s"] / step
            rows.append(row)
            print(_common.format_table(rows[-1:], COLUMNS), flush=True)
    payload = {"benchmark": NAME, "machine": _common.machine(),
               "settings": {k: v for k, v in vars(args).items() if k != "backends"},
               "rows": rows}
    path = _common.write_result(NAME, backend, payload)
    print(f"\n{_common.format_table(rows, COLUMNS)}\n\nwrote {path}")


def training_steps(backend) -> dict:
    """{(model, batch): seconds per float32 ssl_keras step with augmentation}, if measured."""
    path = _common.result_path("training_throughput", backend)
    if not path.exists():
        return {}
    steps = {}
    for row in json.loads(path.read_text()).get("rows", []):
        if row.get("precision") == "float32" and "keras_aug_timing" in row:
            steps[(row["model"], row["batch"])] = row["keras_aug_timing"]["median_s"]
    return steps


def compiled_call(backend, layer, torch_compile=False):
    """`call(images)` running `layer(images, training=True)` compiled as Keras would."""
    if backend == "jax":
        import jax

        @jax.jit
        def stateless(non_trainable, images):
            outputs, non_trainable = layer.stateless_call(
                [], non_trainable, images, training=True
            )
            return outputs, non_trainable

        state = {"values": [v.value for v in layer.non_trainable_variables]}

        def call(images):
            outputs, state["values"] = stateless(state["values"], images)
            return outputs

        return call
    if backend == "tensorflow":
        import tensorflow as tf

        return tf.function(lambda images: layer(images, training=True), jit_compile=True)
    if torch_compile:
        import torch

        return torch.compile(lambda images: layer(images, training=True))
    return lambda images: layer(images, training=True)


if __name__ == "__main__":
    main()
