"""Images/s of a SimCLR training step, ssl_keras against the same step in plain JAX,
plain TensorFlow or plain PyTorch.

For each encoder (the course's small CNN, the CIFAR ResNet-18), batch size and precision
(float32, mixed_bfloat16) this times, on the backend named by KERAS_BACKEND:

1. `ssl_keras (aug)`: `SimCLR(encoder).fit(images)`, the library's real path: uint8
   images from host memory, SimCLRAugmentation on the device, one encoder pass over both
   views, projection head, NT-Xent, the contrastive metrics, Adam. Per-step wall time is
   taken between consecutive `on_train_batch_end` callbacks (each waits for the step's
   loss), so it includes everything `fit` does per step, minus the plain step that the
   callback runs (below).
2. `ssl_keras (no aug)`: the same, with the augmentation replaced by a trivial layer that
   returns `(x, flip(x))`.
3. `plain`: the same architecture, loss and optimizer written directly in the backend's
   framework (`_plain_jax.py`: pure functions + `jax.jit` + hand-written Adam;
   `_plain_tensorflow.py`: `tf.Variable`s + `tf.nn` + `tf.function`, with XLA exactly
   when Keras uses it; `_plain_torch.py`: `nn.Module` + `torch.optim.Adam`, eager, or
   `torch.compile` with --torch-compile), also fed uint8 host batches and also making
   its views as `(x, flip(x))`.

4. `plain (aug)` (torch only): the plain PyTorch step fed by a hand-written SimCLR
   augmentation (`_plain_torch.PlainTorchSimCLRAugmentation`): random resized crop and
   flip as one `grid_sample`, colour jitter in a random order per image, grayscale, all
   vectorised over the batch as a careful PyTorch user writes them, and computing the
   colour jitter (and its hue rotation) only for the images it applies to.

Two ratios. "ssl_keras / plain" compares (2) with (3), identical work on both sides.
"ssl_keras / plain (aug)" compares (1) with (4), the issue's target (the training step
as a course runs it): the same augmentation distribution, though no two
implementations do exactly the same work (the plain one skips the images a random
operation does not apply to, which jit-compiled code cannot do). The augmentation's
cost is also reported as `aug share` = 1 - t(2) / t(1), the fraction of the library's
real step spent augmenting (see also `augmentation_throughput.py`). The two sides
alternate step by step: after every ssl_keras step, `fit`'s batch-end callback runs one
plain step (with augmentation after (1), without after (2)), timed on its own and left
out of the ssl_keras interval, so that a change of a shared machine's load hits both
sides alike; each ratio is the median over steps of t(plain step) / t(ssl_keras step).
`--repeats` repeats the whole measurement (fresh models) and reports medians.

Reported per row: images/s (an image = two views; median over `--steps` steps after
`--warmup` untimed ones), the ratio, the achieved TFLOP/s from the analytic count of
convolution and dense multiply-adds (2 views x 3 (forward + backward) x 2 FLOP per MAC;
ResNet-18 gives 6.67 GFLOP per image, the figure in issue 3; BN, activations, loss and
augmentation are not counted), and its share of the accelerator's peak when known (H100
989 TFLOP/s bf16 / 495 TF32; elsewhere pass --peak-tflops).

Usage:
    # CPU smoke run (what RESULTS.md reports for this machine), every backend:
    nice python benchmarks/training_throughput.py --quick --backends jax,tensorflow,torch
    # GPU, the issue's settings (batch 256 and 1024, both precisions, both encoders):
    python benchmarks/training_throughput.py --backends jax,tensorflow,torch
    python benchmarks/training_throughput.py --backends torch --torch-compile

Writes benchmarks/results/training_throughput_<backend>.json.
"""

import argparse
import gc
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _common  # noqa: E402
import numpy as np  # noqa: E402

NAME = "training_throughput"
COLUMNS = [
    ("backend", "backend"), ("model", "model"), ("batch", "batch"), ("precision", "precision"),
    ("keras_aug", "ssl_keras img/s (aug)"), ("keras_no_aug", "ssl_keras img/s (no aug)"),
    ("plain", "plain img/s (no aug)"), ("ratio", "ratio ssl_keras/plain"),
    ("plain_aug", "plain img/s (aug)"), ("ratio_aug", "ratio ssl_keras/plain (aug)"),
    ("aug_share", "aug share of step"), ("tflops", "TFLOP/s (ssl_keras no aug)"),
    ("peak_share", "share of peak"),
]


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backends", default=None,
                        help="comma-separated backends, each run in a subprocess (default: "
                             "the current KERAS_BACKEND only)")
    parser.add_argument("--models", default="small_cnn,resnet18")
    parser.add_argument("--batch-sizes", default="256,1024")
    parser.add_argument("--precisions", default="float32,mixed_bfloat16")
    parser.add_argument("--steps", type=int, default=20, help="timed steps (median reported)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps (compilation)")
    parser.add_argument("--quick", action="store_true",
                        help="CPU smoke settings: batch 32, 5 steps, 2 warm-up steps")
    parser.add_argument("--jit-compile", default="auto", choices=["auto", "true", "false"],
                        help="`jit_compile` of SimCLR.compile (default auto: jax and "
                             "tensorflow compile with XLA, torch runs eagerly)")
    parser.add_argument("--torch-compile", action="store_true",
                        help="torch: Keras jit_compile=True and torch.compile for the plain "
                             "reference")
    parser.add_argument("--torch-channels-last", action="store_true",
                        help="torch: plain reference in channels_last memory format")
    parser.add_argument("--repeats", type=int, default=1,
                        help="time every configuration this many times, alternating (for a "
                             "shared machine); medians are reported")
    parser.add_argument("--skip-plain", action="store_true")
    parser.add_argument("--merge", action="store_true",
                        help="keep the rows of an earlier JSON for configurations not run now")
    parser.add_argument("--peak-tflops", type=float, default=None,
                        help="peak TFLOP/s of the device, for the share-of-peak column")
    args = parser.parse_args(argv)
    if args.quick:
        if "--batch-sizes" not in " ".join(argv):
            args.batch_sizes = "32"
        if "--steps" not in " ".join(argv):
            args.steps = 5
        if "--warmup" not in " ".join(argv):
            args.warmup = 2
    args.models = args.models.split(",")
    args.batch_sizes = [int(b) for b in args.batch_sizes.split(",")]
    args.precisions = args.precisions.split(",")
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

    backend = keras.backend.backend()
    rows = []
    for model_name in args.models:
        for batch in args.batch_sizes:
            for precision in args.precisions:
                print(f"[{backend}] {model_name} batch {batch} {precision}", flush=True)
                rows.append(measure(args, model_name, batch, precision))
                keras.backend.clear_session()
                gc.collect()
                print(_common.format_table(rows[-1:], COLUMNS), flush=True)
    if args.merge:
        rows = _merge_rows(_common.result_path(NAME, backend), rows)
    payload = {
        "benchmark": NAME,
        "machine": _common.machine(),
        "settings": {key: value for key, value in vars(args).items() if key != "backends"},
        "rows": rows,
        "notes": [
            "images/s: images (2 views each) per second, median over steps after warm-up",
            "ratio: ssl_keras without augmentation / plain framework without augmentation",
            "ratio (aug): ssl_keras with SimCLRAugmentation / plain PyTorch with its "
            "hand-written SimCLR augmentation (torch only)",
            "ratios: median over steps of t(plain step) / t(ssl_keras step), the two "
            "alternating step by step; with --repeats, the median over the repeats",
            "aug share: 1 - t(no aug) / t(aug) of the ssl_keras step",
            "TFLOP/s: conv+dense MACs x 2 views x 3 x 2 / step time",
        ],
    }
    path = _common.write_result(NAME, backend, payload)
    print(f"\n{_common.format_table(rows, COLUMNS)}\n\nwrote {path}")


def measure(args, model_name, batch, precision) -> dict:
    """One row: each configuration timed `--repeats` times, one after the other (so a
    change of the machine's load hits every configuration alike); images/s and ratios are
    medians over the repeats, each ratio taken within a repeat."""
    import keras

    backend = keras.backend.backend()
    images = np.random.default_rng(0).integers(
        0, 256, (batch * (args.warmup + args.steps), 32, 32, 3), dtype=np.uint8
    )
    row = {"backend": backend, "model": model_name, "batch": batch, "precision": precision}
    jit_compile = {"auto": "auto", "true": True, "false": False}[args.jit_compile]
    if args.torch_compile and backend == "torch":
        jit_compile = True
    # Only plain PyTorch has a hand-written SimCLR augmentation (see the module docstring).
    plain_augments = (False, True) if backend == "torch" else (False,)
    repeats = {key: [] for key in ("keras_aug", "keras_no_aug", "plain", "plain_aug")}
    ratios = {"ratio": [], "ratio_aug": []}
    for _ in range(args.repeats):
        for key, augment in (("keras_aug", True), ("keras_no_aug", False)):
            plain_key = "plain_aug" if augment else "plain"
            trainer = None
            if not args.skip_plain and augment in plain_augments:
                # Keras's "auto" compiles with XLA on jax and tensorflow, not on torch.
                keras_jit = jit_compile if jit_compile != "auto" else backend != "torch"
                trainer = plain_trainer(backend, model_name, precision, keras_jit, args, augment)
            keras.mixed_precision.set_dtype_policy(precision)
            try:
                timing, plain_timing, resolved_jit, flops = time_ssl_keras(
                    model_name, images, batch, augment, jit_compile, args,
                    None if trainer is None else _batches(trainer.step, images, batch),
                )
            finally:
                keras.mixed_precision.set_dtype_policy("float32")
            keras.backend.clear_session()
            repeats[key].append(batch / timing["median_s"])
            row[key + "_timing"] = timing
            row["keras_jit_compile"] = resolved_jit
            row["train_flop_per_image"] = flops
            if trainer is not None:
                repeats[plain_key].append(batch / plain_timing["median_s"])
                ratios["ratio_aug" if augment else "ratio"].append(
                    plain_timing["median_step_ratio"]
                )
                row[plain_key + "_timing"] = plain_timing
                row[plain_key + "_framework"] = trainer.framework
                del trainer
                gc.collect()
    for key, values in repeats.items():
        if values:
            row[key] = float(np.median(values))
            row[key + "_repeats"] = values
    for key, values in ratios.items():
        if values:
            row[key] = float(np.median(values))
            row[key + "_repeats"] = values
    row["aug_share"] = 1.0 - row["keras_aug"] / row["keras_no_aug"]
    row["tflops"] = row["keras_no_aug"] * row["train_flop_per_image"] / 1e12
    peak = _common.peak_tflops(precision, args.peak_tflops)
    row["peak_tflops"] = peak
    row["peak_share"] = None if peak is None else row["tflops"] / peak
    return row


def _merge_rows(path, rows) -> list[dict]:
    """Earlier rows of `path` whose (model, batch, precision) is not in `rows`, then `rows`."""
    import json

    if not path.exists():
        return rows
    key = lambda row: (row["model"], row["batch"], row["precision"])  # noqa: E731
    new = {key(row) for row in rows}
    old = [row for row in json.loads(path.read_text()).get("rows", []) if key(row) not in new]
    return old + rows


def _batches(step, images, batch):
    state = {"index": 0}
    count = len(images) // batch

    def next_step():
        start = (state["index"] % count) * batch
        state["index"] += 1
        return step(images[start:start + batch])

    return next_step


def time_ssl_keras(model_name, images, batch, augment, jit_compile, args, plain_step=None):
    """Times `SimCLR.fit`, one interval per step. With `plain_step`, one plain step runs
    (and is timed) after every ssl_keras step, inside `fit`'s batch-end callback, and is
    left out of the ssl_keras intervals: the two alternate step by step, so a change of
    the machine's load hits both alike.

    Returns:
        `(timing, plain_timing, jit_compile, flop_per_image)`; `plain_timing` is None
        without `plain_step`, else it holds `median_step_ratio`, the median over steps of
        t(plain step) / t(the ssl_keras step just before it).
    """
    import keras

    from ssl_keras.layers import SimCLRAugmentation
    from ssl_keras.models import SimCLR, cifar_resnet18_encoder, small_cnn_encoder

    FlipViews, StepTimer = _keras_helpers()
    keras.utils.set_random_seed(0)
    encoder = small_cnn_encoder(width=64) if model_name == "small_cnn" else (
        cifar_resnet18_encoder()
    )
    augmentation = SimCLRAugmentation(preset="cifar", seed=0) if augment else FlipViews()
    model = SimCLR(encoder, augmentation=augmentation, temperature=0.5)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), jit_compile=jit_compile)
    timer = StepTimer(plain_step, _common.synchronizer())
    model.fit(images, batch_size=batch, epochs=1, shuffle=False, verbose=0, callbacks=[timer])
    # Step i runs from the end of the previous batch-end callback to its own end.
    intervals = (np.array(timer.times[1:]) - np.array(timer.resumes[:-1]))[args.warmup - 1:]
    timing = _summary(intervals, args.warmup)
    timing["first_step_s"] = float(timer.times[0] - timer.start)
    plain_timing = None
    if plain_step is not None:
        plain_intervals = np.array(timer.plain_times)[args.warmup:]
        plain_timing = _summary(plain_intervals, args.warmup)
        plain_timing["median_step_ratio"] = float(
            np.median(plain_intervals / intervals[: len(plain_intervals)])
        )
    flops = training_flop_per_image(encoder, model.projection_head)
    return timing, plain_timing, bool(model.jit_compile), flops


def _summary(intervals, warmup) -> dict:
    return {
        "median_s": float(np.median(intervals)),
        "min_s": float(np.min(intervals)),
        "max_s": float(np.max(intervals)),
        "steps": int(len(intervals)),
        "warmup": warmup,
    }


def training_flop_per_image(encoder, head) -> float:
    """2 views x 3 (forward, input and weight gradients) x 2 FLOP x conv/dense MACs."""
    import keras

    macs = 0
    for layer in encoder.layers:
        if isinstance(layer, keras.layers.Conv2D):
            height, width = (layer.output.shape[1:3] if layer.data_format == "channels_last"
                             else layer.output.shape[2:4])
            kernel_h, kernel_w, cin, cout = layer.kernel.shape
            macs += height * width * kernel_h * kernel_w * cin * cout
        elif isinstance(layer, keras.layers.Dense):
            macs += int(np.prod(layer.kernel.shape))
    for layer in head._flatten_layers(include_self=False):
        if isinstance(layer, keras.layers.Dense):
            macs += int(np.prod(layer.kernel.shape))
    return float(2 * 3 * 2 * macs)


def plain_trainer(backend, model_name, precision, keras_jit_compile, args, augment=False):
    if backend == "jax":
        from _plain_jax import PlainJAXTrainer

        return PlainJAXTrainer(model_name, (32, 32, 3), precision)
    if backend == "tensorflow":
        from _plain_tensorflow import PlainTensorFlowTrainer

        return PlainTensorFlowTrainer(model_name, (32, 32, 3), precision,
                                      jit_compile=keras_jit_compile)
    from _plain_torch import PlainTorchTrainer

    return PlainTorchTrainer(model_name, (32, 32, 3), precision, compile=args.torch_compile,
                             channels_last=args.torch_channels_last, augment=augment)


def _keras_helpers():
    """The Keras classes of this benchmark (defined late: the driver never imports keras)."""
    import keras

    class FlipViews(keras.layers.Layer):
        """Views without augmentation: `(x, flip(x))`, the references' trivial work."""

        def call(self, images, training=None):
            x = keras.ops.cast(images, "float32")
            return (keras.ops.cast(x, self.compute_dtype),
                    keras.ops.cast(keras.ops.flip(x, axis=2), self.compute_dtype))

    class StepTimer(keras.callbacks.Callback):
        """Wall-clock time at the end of every training batch, once its loss is ready;
        then, if given, one step of the plain reference (timed on its own)."""

        def __init__(self, plain_step=None, synchronize=None):
            super().__init__()
            self.plain_step = plain_step
            self.synchronize = synchronize
            self.times, self.resumes, self.plain_times = [], [], []
            self.start = None

        def on_train_begin(self, logs=None):
            self.start = time.perf_counter()

        def on_train_batch_end(self, batch, logs=None):
            float(logs["loss"])  # waits for the step (asynchronous dispatch)
            now = time.perf_counter()
            self.times.append(now)
            if self.plain_step is not None:
                self.synchronize(self.plain_step())
                self.plain_times.append(time.perf_counter() - now)
            self.resumes.append(time.perf_counter())

    return FlipViews, StepTimer


if __name__ == "__main__":
    main()
