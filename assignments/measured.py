"""The measured figures the notebooks state, read from the benchmarks' result files.

No notebook types an expected accuracy by hand: `make_notebook.py` takes each one from the
JSON file of the run that measured it (`benchmarks/results/`), with the dataset, budget and
machine named, so re-running a benchmark and rebuilding the notebooks keeps them true.
A missing file is an error that names the command that writes it. The text names the
machine and date of each run, never a repository path (students do not have the
repository).
"""

from __future__ import annotations

import json
from pathlib import Path

RESULTS = Path(__file__).resolve().parents[1] / "benchmarks" / "results"

COMMANDS = {
    "main_job_digits_jax.json": (
        "KERAS_BACKEND=jax python benchmarks/main_job.py --out runs/pretrain"),
    "pretext_comparison_digits_jax.json": (
        "KERAS_BACKEND=jax python benchmarks/pretext_comparison.py --dataset digits "
        "--epochs 20 --width 16 --learning-rate 2e-3 --out runs/pretext_digits"),
    "gpu/pretext_comparison_cifar10_jax.json": "bash benchmarks/gpu_suite.sh /tmp/cifar",
    "mae_digits_jax.json": "KERAS_BACKEND=jax python benchmarks/mae_digits.py",
    "attention_comparison_digits_jax.json": (
        "KERAS_BACKEND=jax python benchmarks/attention_comparison_digits.py --seeds 0 1 2 3 4 "
        "--byol --mae"),
    "mini_clip_zero_shot_jax.json": "KERAS_BACKEND=jax python benchmarks/mini_clip_zero_shot.py",
    "pretext_probe_variants_jax.json": (
        "KERAS_BACKEND=jax python benchmarks/pretext_probe_variants.py --data-dir /tmp/cifar"),
}

METHOD_NAMES = {
    "random_init": "random init", "rotation": "rotation", "jigsaw": "jigsaw (2x2)",
    "colorization": "colorization", "simclr": "SimCLR", "supervised": "supervised",
}


def load(name: str) -> dict:
    """The result file `benchmarks/results/<name>`, parsed."""
    path = RESULTS / name
    if not path.exists():
        raise FileNotFoundError(
            f"{path} is missing: the notebooks take their expected figures from it. "
            f"Write it with: {COMMANDS.get(name, 'its benchmark')}"
        )
    return json.loads(path.read_text())


def percent(value: float) -> str:
    return f"{100 * value:.1f}%"


def _machine(record: dict) -> str:
    machine = record["machine"]
    where = machine["accelerator"] if machine["accelerator"] != "cpu" else (
        f"{machine['cpu_count']}-core CPU")
    return f"{machine['backend']} backend, {where}, {machine['date'][:10]}"


def digits_main_job() -> dict:
    """SimCLR vs random init of the main job's digits preset: strings for the text."""
    record = load("main_job_digits_jax.json")
    metrics = record["metrics"]
    return {
        "simclr_probe": percent(metrics["simclr"]["linear_probe_accuracy"]),
        "simclr_knn": percent(metrics["simclr"]["knn_accuracy"]),
        "random_probe": percent(metrics["random_init"]["linear_probe_accuracy"]),
        "random_knn": percent(metrics["random_init"]["knn_accuracy"]),
        "epochs": metrics["epochs"],
        "where": _machine(record),
        "wall_s": f"{metrics['wall_time_s']:.0f}",
    }


def pretext_results(dataset: str) -> dict:
    """`{method: metrics}` of the pretext comparison on `"digits"` or `"cifar10"`."""
    name = ("gpu/pretext_comparison_cifar10_jax.json" if dataset == "cifar10"
            else "pretext_comparison_digits_jax.json")
    return load(name)


def pretext_table(dataset: str) -> str:
    """The pretext comparison as a Markdown table (probe, kNN, pretext metric)."""
    record = pretext_results(dataset)
    lines = ["| method | linear probe | kNN | pretext task (last epoch) |", "|---|---|---|---|"]
    for method in (m for m in METHOD_NAMES if m in record["results"]):
        metrics = record["results"][method]
        value = metrics.get("pretext_value")
        if value is None:
            pretext = "-"
        elif method == "colorization":
            pretext = f"MSE {value:.4f}"
        else:
            pretext = f"{metrics['pretext_metric']} {percent(value)}"
        lines.append(f"| {METHOD_NAMES[method]} | {percent(metrics['linear_probe_accuracy'])} "
                     f"| {percent(metrics['knn_accuracy'])} | {pretext} |")
    return "\n".join(lines)


def pretext_caption(dataset: str) -> str:
    """Where and how the table of `pretext_table(dataset)` was measured."""
    record = pretext_results(dataset)
    settings = record["settings"]
    training = sum(metrics["train_time_s"] for metrics in record["results"].values())
    data = ("CIFAR-10 rebuilt from the course's JPEG copy (pixels differ slightly from the "
            "official release)" if dataset == "cifar10" else "the embedded digits")
    return (f"{data}; small CNN of width {settings['width']}, {settings['epochs']} epochs of "
            f"batch {settings['batch_size']} per method; {_machine(record)}, "
            f"{training:.0f} s of training in all")


def pretext_where(dataset: str) -> str:
    """The machine and date of the pretext comparison's run, as text."""
    return _machine(pretext_results(dataset))


def accuracy(dataset: str, method: str, key: str = "linear_probe_accuracy") -> str:
    """One method's accuracy from the pretext comparison, as text."""
    return percent(pretext_results(dataset)["results"][method][key])


def ranking(dataset: str) -> str:
    """The methods by linear-probe accuracy, best first: "supervised (92.2%) > ..."."""
    results = pretext_results(dataset)["results"]
    order = sorted(results, key=lambda m: -results[m]["linear_probe_accuracy"])
    return " > ".join(f"{METHOD_NAMES[m]} ({percent(results[m]['linear_probe_accuracy'])})"
                      for m in order)


def gap(dataset: str, method: str, baseline: str = "random_init",
        key: str = "linear_probe_accuracy", signed: bool = False) -> str:
    """`method` minus `baseline` in percentage points, e.g. "4.9" (signed: "+4.9")."""
    results = pretext_results(dataset)["results"]
    difference = 100 * (results[method][key] - results[baseline][key])
    return f"{difference:+.1f}" if signed else f"{difference:.1f}"


def mae_digits() -> dict:
    """The MAE on the digits (`benchmarks/mae_digits.py`): strings for the text."""
    record = load("mae_digits_jax.json")
    return {
        "mse": f"{record['test_masked_mse']:.3f}",
        "epochs": record["epochs_run"],
        "mae_probe": percent(record["mae"]["linear_probe_cls"]),
        "mae_knn": percent(record["mae"]["knn_cls"]),
        "random_probe": percent(record["random_init"]["linear_probe_cls"]),
        "random_knn": percent(record["random_init"]["knn_cls"]),
        "where": _machine(record),
        "train_s": f"{record['train_seconds']:.0f}",
    }


def attention_comparison_digits() -> dict:
    """Self-supervised against supervised ViT attention on the digits
    (`benchmarks/attention_comparison_digits.py`): strings for the text."""
    record = load("attention_comparison_digits_jax.json")
    summary = record["summary"]

    def spread(method: str, key: str, digits: int = 2) -> str:
        values = summary[method][key]
        if summary[method]["seeds"] == 1:
            return f"{values['mean']:.{digits}f}"
        return (f"{values['mean']:.{digits}f} ({values['min']:.{digits}f}-"
                f"{values['max']:.{digits}f})")

    def knn(method: str) -> str:
        values = summary[method]["knn"]
        if summary[method]["seeds"] == 1:
            return percent(values["mean"])
        return f"{percent(values['mean'])} ({percent(values['min'])}-{percent(values['max'])})"

    rows = {method: {"mass": spread(method, "mass_on_digit"),
                     "best_head": spread(method, "mass_on_digit_best_head"),
                     "knn": knn(method),
                     "mass_mean_text": f"{summary[method]['mass_on_digit']['mean']:.2f}"}
            for method in summary}
    accuracy = summary["supervised"]["test_accuracy"]
    pairs = [(runs["simclr"]["mass_on_digit"], runs["supervised"]["mass_on_digit"])
             for runs in record["seeds"].values()]
    return {
        **rows,
        "pairs": ", ".join(f"{simclr:.2f} vs {supervised:.2f}" for simclr, supervised in pairs),
        "pair_values": pairs,
        "simclr_higher": sum(simclr > supervised for simclr, supervised in pairs),
        "chance_value": record["chance"],
        "where": _machine(record),
        "chance": f"{record['chance']:.2f}",
        "test_images": str(record["test_images"]),
        "seeds": str(len(record["seeds"])),
        "epochs": record["args"]["epochs"],
        "supervised_accuracy": f"{percent(accuracy['mean'])} ({percent(accuracy['min'])}-"
                               f"{percent(accuracy['max'])})",
        "byol_knn": rows["byol"]["knn"] if "byol" in rows else "not measured",
    }


def mini_clip_table() -> str:
    """The mini-CLIP's zero-shot accuracies on held-out digits as a Markdown table."""
    accuracy = load("mini_clip_zero_shot_jax.json")["accuracy"]
    singles = [value for label, value in accuracy.items() if "'" in label]
    rows = [
        ("class names, training templates (ensemble)",
         accuracy["names, training templates (ensemble)"]),
        ("class names, unseen templates (ensemble)",
         accuracy["names, unseen templates (ensemble)"]),
        ("numerals, unseen templates (ensemble)",
         accuracy["numerals, unseen templates (ensemble)"]),
    ]
    lines = ["| prompts | zero-shot accuracy |", "|---|---|"]
    lines += [f"| {label} | {percent(value)} |" for label, value in rows]
    lines.append('| single unseen prompts, e.g. "an image of a seven." | '
                 f"{percent(min(singles))} - {percent(max(singles))} |")
    return "\n".join(lines)


def mini_clip_where() -> str:
    return _machine(load("mini_clip_zero_shot_jax.json"))


def mini_clip_range(kind: str = "single") -> str:
    """Lowest and highest zero-shot accuracy of the single unseen prompts ("single") or
    of the prompt ensembles ("ensemble"), e.g. "85.2-89.6%"."""
    accuracy = load("mini_clip_zero_shot_jax.json")["accuracy"]
    values = [value for label, value in accuracy.items()
              if ("'" in label) == (kind == "single")]
    return f"{100 * min(values):.1f}-{percent(max(values))}"


def probe_variants() -> dict:
    """Random init and colorization probed on colour and gray input, standardised and
    raw (`benchmarks/pretext_probe_variants.py`): strings for the text."""
    record = load("pretext_probe_variants_jax.json")
    results = record["results"]

    def value(name, key="probe_standardised"):
        return percent(results[name][key])

    return {
        "train": f"{record['data']['train']:,}",
        "epochs": record["settings"]["epochs"],
        "random": value("random init, colour input"),
        "random_raw": value("random init, colour input", "probe_raw"),
        "colour": value("colorization, colour input"),
        "gray": value("colorization, gray input"),
    }
