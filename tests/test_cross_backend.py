"""The same inputs give the same values on jax, tensorflow and torch."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

SCRIPT = r"""
import json, os
import numpy as np
from ssl_keras import losses, ops
rng = np.random.default_rng(42)
z_a, z_b = rng.normal(size=(2, 6, 5)).astype("float32")
z_a[0] = 0.0
values = {
    "nt_xent": losses.nt_xent(z_a, z_b, 0.2),
    "nt_logistic": losses.nt_logistic(z_a, z_b, 0.2),
    "margin_triplet": losses.margin_triplet(z_a, z_b, 0.5),
    "positives_only": losses.positives_only_loss(z_a, z_b),
    "clip": losses.clip_contrastive_loss(z_a, z_b, 0.07),
    "pairwise": ops.pairwise_cosine_similarity(z_a, z_b),
    "softmax": ops.softmax_with_temperature(z_a, 0.3),
}
import keras
print(json.dumps({k: np.asarray(keras.ops.convert_to_numpy(v)).tolist()
                  for k, v in values.items()}))
"""


def _run(backend):
    env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
    out = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True,
                         text=True, timeout=300, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(os.environ.get("KERAS_BACKEND", "tensorflow") != "jax",
                    reason="runs the three backends in subprocesses once, in the jax run")
def test_losses_agree_across_backends():
    results = {backend: _run(backend) for backend in ("jax", "tensorflow", "torch")}
    for key in results["jax"]:
        for backend in ("tensorflow", "torch"):
            np.testing.assert_allclose(np.array(results[backend][key]),
                                       np.array(results["jax"][key]), rtol=1e-5, atol=1e-6,
                                       err_msg=f"{key} differs between jax and {backend}")
