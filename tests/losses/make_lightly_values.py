"""Writes lightly_values.json: lightly 1.6's loss values for a few seeded random inputs.

Run it in a throwaway virtualenv that holds torch and lightly 1.6 (not ssl_keras's):

    python -m venv /tmp/lightly && /tmp/lightly/bin/pip install numpy torch==2.13.0 \\
        typing_extensions filelock sympy networkx jinja2 fsspec
    /tmp/lightly/bin/pip install --no-deps lightly==1.6.0
    /tmp/lightly/bin/python tests/losses/make_lightly_values.py

Only the four loss modules are imported: `lightly.loss`'s package `__init__` imports
every loss, some of them need torchvision (whose PyPI wheel does not load with a CPU
torch), so the package is registered empty and its submodules are imported from its
folder (and the same for `lightly.models` and `lightly.models.modules`, for DINO's
center helpers). The tests (`test_noncontrastive_losses.py`, `test_dino.py`) rebuild
the inputs with `make_inputs` and `make_dino_inputs` (NumPy only) and need neither
torch nor lightly.

Each case stores the seed, shape and input recipe, the loss arguments, and lightly's
value on float64 tensors (the reference) and on float32 tensors (what lightly users see).
"""

import json
import pathlib
import sys
import types

import numpy as np

OUTPUT = pathlib.Path(__file__).with_name("lightly_values.json")

# scale: standard deviation of the inputs; correlation: between z_a and z_b per entry;
# zero_rows: rows of z_a set to 0 (a zero prediction has cosine 0 in both libraries).
CASES = [
    {"loss": "NegativeCosineSimilarity", "seed": 0, "shape": [8, 16], "kwargs": {}},
    {"loss": "NegativeCosineSimilarity", "seed": 1, "shape": [64, 128], "correlation": 0.9,
     "kwargs": {}},
    {"loss": "NegativeCosineSimilarity", "seed": 2, "shape": [3, 5], "zero_rows": [1],
     "kwargs": {}},
    {"loss": "NegativeCosineSimilarity", "seed": 3, "shape": [1, 4], "kwargs": {}},
    {"loss": "NegativeCosineSimilarity", "seed": 4, "shape": [32, 2048], "scale": 0.01,
     "correlation": -0.5, "kwargs": {}},
    {"loss": "BarlowTwinsLoss", "seed": 10, "shape": [16, 8], "kwargs": {}},
    {"loss": "BarlowTwinsLoss", "seed": 11, "shape": [64, 128], "correlation": 0.8,
     "kwargs": {}},
    {"loss": "BarlowTwinsLoss", "seed": 12, "shape": [5, 3], "scale": 0.003,
     "kwargs": {"lambda_param": 0.1}},
    {"loss": "BarlowTwinsLoss", "seed": 13, "shape": [256, 512], "correlation": 0.5,
     "kwargs": {"lambda_param": 0.0051}},
    {"loss": "BarlowTwinsLoss", "seed": 14, "shape": [32, 16], "kwargs": {"lambda_param": 0.0}},
    {"loss": "VICRegLoss", "seed": 20, "shape": [16, 8], "kwargs": {}},
    {"loss": "VICRegLoss", "seed": 21, "shape": [64, 128], "scale": 0.5, "correlation": 0.8,
     "kwargs": {}},
    {"loss": "VICRegLoss", "seed": 22, "shape": [5, 3], "scale": 0.01, "kwargs": {}},
    {"loss": "VICRegLoss", "seed": 23, "shape": [128, 256], "scale": 2.0, "correlation": 0.3,
     "kwargs": {}},
    {"loss": "VICRegLoss", "seed": 24, "shape": [32, 16], "scale": 0.8,
     "kwargs": {"lambda_param": 1.0, "mu_param": 2.0, "nu_param": 0.5, "eps": 1e-3}},
    # DINO: shape [N, K]; views: the student's V views, the teacher's G first
    # (make_dino_inputs); center_scale: standard deviation of the center (0: zeros).
    # kwargs are ssl_keras's (dino_loss); lightly's DINOLoss gets the same temperatures
    # and epoch=30, past its 30 warm-up epochs, so its teacher temperature is constant.
    {"loss": "DINOLoss", "seed": 30, "shape": [8, 16], "views": 2, "teacher_views": 2,
     "kwargs": {}},
    {"loss": "DINOLoss", "seed": 31, "shape": [16, 64], "views": 6, "teacher_views": 2,
     "center_scale": 0.5, "kwargs": {}},
    {"loss": "DINOLoss", "seed": 32, "shape": [5, 32], "views": 10, "teacher_views": 2,
     "scale": 0.3, "center_scale": 0.3, "correlation": 0.9,
     "kwargs": {"student_temperature": 0.2, "teacher_temperature": 0.07}},
    {"loss": "DINOLoss", "seed": 33, "shape": [32, 256], "views": 4, "teacher_views": 2,
     "scale": 3.0, "center_scale": 1.0, "kwargs": {"teacher_temperature": 0.02}},
    {"loss": "DINOLoss", "seed": 34, "shape": [4, 8], "views": 3, "teacher_views": 1,
     "center_scale": 2.0, "kwargs": {"student_temperature": 1.0, "teacher_temperature": 1.0}},
]


def make_inputs(case: dict) -> tuple[np.ndarray, np.ndarray]:
    """The case's two float32 `(N, d)` inputs, from its seed (NumPy only)."""
    rng = np.random.default_rng(case["seed"])
    x, y = rng.normal(size=(2, *case["shape"]))
    correlation = case.get("correlation", 0.0)
    scale = case.get("scale", 1.0)
    z_a = scale * x
    z_b = scale * (correlation * x + np.sqrt(1.0 - correlation**2) * y)
    z_a[case.get("zero_rows", [])] = 0.0
    return z_a.astype("float32"), z_b.astype("float32")


def make_dino_inputs(case: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A DINO case's float32 student `(V, N, K)`, teacher `(G, N, K)` and center `(K,)`.

    The teacher's view g is correlated with the student's view g (`correlation`).
    """
    rng = np.random.default_rng(case["seed"])
    num_images, dim = case["shape"]
    scale = case.get("scale", 1.0)
    correlation = case.get("correlation", 0.5)
    student = scale * rng.normal(size=(case["views"], num_images, dim))
    noise = scale * rng.normal(size=(case["teacher_views"], num_images, dim))
    teacher = correlation * student[: case["teacher_views"]]
    teacher = teacher + np.sqrt(1.0 - correlation**2) * noise
    center = case.get("center_scale", 0.0) * rng.normal(size=(dim,))
    return student.astype("float32"), teacher.astype("float32"), center.astype("float32")


def _lightly_dino_values(dino_class, case: dict, torch) -> dict:
    """lightly's DINO loss (float64 and float32) with its center buffer set to the
    case's, and its center after the call (lightly updates it in `forward`)."""
    student, teacher, center = make_dino_inputs(case)
    arguments = {"student_temperature": 0.1, "teacher_temperature": 0.04, **case["kwargs"]}
    values = {}
    for dtype in ("float64", "float32"):
        loss = dino_class(
            output_dim=case["shape"][1],
            teacher_temp=arguments["teacher_temperature"],
            student_temp=arguments["student_temperature"],
            warmup_teacher_temp_epochs=30,
            center_momentum=0.9,
        ).to(getattr(torch, dtype))
        loss.center = torch.from_numpy(center.astype(dtype)).reshape(1, 1, -1)
        value = loss(
            [torch.from_numpy(view.astype(dtype)) for view in teacher],
            [torch.from_numpy(view.astype(dtype)) for view in student],
            epoch=30,
        )
        values[f"lightly_{dtype}"] = float(value)
        if dtype == "float64":
            values["lightly_center_after_float64"] = loss.center.reshape(-1).tolist()
    return values


def _register_empty_package(lightly, name: str) -> None:
    package = types.ModuleType(f"lightly.{name}")
    package.__path__ = [str(pathlib.Path(lightly.__file__).parent.joinpath(*name.split(".")))]
    sys.modules[f"lightly.{name}"] = package


def _import_lightly_losses():
    import lightly

    # lightly.loss, lightly.models and lightly.models.modules import torchvision in
    # their __init__; their modules used here do not.
    for name in ("loss", "models", "models.modules"):
        _register_empty_package(lightly, name)
    from lightly.loss.barlow_twins_loss import BarlowTwinsLoss
    from lightly.loss.dino_loss import DINOLoss
    from lightly.loss.negative_cosine_similarity import NegativeCosineSimilarity
    from lightly.loss.vicreg_loss import VICRegLoss

    classes = {
        "BarlowTwinsLoss": BarlowTwinsLoss,
        "DINOLoss": DINOLoss,
        "NegativeCosineSimilarity": NegativeCosineSimilarity,
        "VICRegLoss": VICRegLoss,
    }
    return lightly, classes


def main() -> None:
    import torch

    lightly, classes = _import_lightly_losses()
    cases = []
    for case in CASES:
        if case["loss"] == "DINOLoss":
            cases.append({**case, **_lightly_dino_values(classes["DINOLoss"], case, torch)})
            continue
        z_a, z_b = make_inputs(case)
        loss = classes[case["loss"]](**case["kwargs"])
        values = {}
        for dtype in ("float64", "float32"):
            a = torch.from_numpy(z_a.astype(dtype))
            b = torch.from_numpy(z_b.astype(dtype))
            values[dtype] = float(loss(a, b))
        cases.append({**case, "lightly_float64": values["float64"],
                      "lightly_float32": values["float32"]})
    record = {
        "lightly_version": lightly.__version__,
        "torch_version": torch.__version__,
        "generated_by": "tests/losses/make_lightly_values.py",
        "cases": cases,
    }
    # One case per line: small diffs when a case is added.
    header = json.dumps({k: v for k, v in record.items() if k != "cases"})[:-1]
    lines = ",\n  ".join(json.dumps(case) for case in cases)
    OUTPUT.write_text(f'{header}, "cases": [\n  {lines}\n]}}\n')
    print(f"wrote {len(cases)} cases to {OUTPUT}")


if __name__ == "__main__":
    main()
