"""VICReg as a `keras.Model`: invariance, variance and covariance terms on an expander."""

import keras

from ssl_keras.layers.projection_head import ProjectionHead
from ssl_keras.losses.vicreg import vicreg_loss, vicreg_terms
from ssl_keras.models.self_supervised_model import SelfSupervisedModel, float32_outputs
from ssl_keras.validation import check_positive


@keras.saving.register_keras_serializable(package="ssl_keras")
class VICReg(SelfSupervisedModel):
    """VICReg: variance-invariance-covariance regularisation (Bardes, Ponce, LeCun, 2022).

    "VICReg ... explicitly avoids the collapse problem with a simple regularization term
    on the variance of the embeddings along each dimension individually." One step, as
    the paper's Algorithm 1: two views, `z_a = expander(encoder(view_a))` and likewise
    `z_b` (the same network, each view separately), then
    `ssl_keras.losses.vicreg_loss(z_a, z_b, lambda_param, mu_param, nu_param, eps)`
    (`lambda * MSE + mu * variance hinge + nu * covariance`; see its docstring for the
    conventions, which are the authors' code's and lightly's). Train it with
    `model.compile(optimizer=...)` and `model.fit(images)` on any backend; views,
    metrics, probe and saving come from `SelfSupervisedModel`. Besides `ssl_loss` and
    `embedding_std` it logs the three unweighted terms, `invariance`, `variance` and
    `covariance`.

    Departure from the paper: the default expander is narrower (the paper's is 3 layers
    of 8192): `ProjectionHead(hidden_dims=(1024, 1024), output_dim=1024)`
    (Linear-BN-ReLU twice, then Linear, as the paper's).

    Args:
        encoder: a Keras model mapping images to `(batch, dim)` features; trained in
            place and exposed as `model.encoder`.
        expander: the expander (the paper's name for the projector). See above.
        augmentation: a layer mapping images to a pair of views. Defaults to
            `SimCLRAugmentation(preset="cifar")`.
        lambda_param: weight >= 0 of the invariance term. Defaults to 25 (paper).
        mu_param: weight >= 0 of the variance term. Defaults to 25 (paper).
        nu_param: weight >= 0 of the covariance term. Defaults to 1 (paper).
        eps: positive float added to the variance before the square root (paper: 1e-4).
        num_classes: classes of the online linear probe; `None` (default): no probe.
        **kwargs: `keras.Model` keyword arguments, such as `name`.

    Call arguments and returns: those of `SelfSupervisedModel` (the batch needs N >= 2:
    the variance and covariance terms use batch statistics).

    Raises:
        ValueError: if a weight is < 0, `eps <= 0`, `num_classes` is not a positive
            integer or None, or the inputs are neither images nor a pair of them.

    Example (training is `compile` and `fit`, as for every method: see `SimCLR`; the
    logs then hold the three terms):
    >>> from ssl_keras.models import VICReg, small_cnn_encoder
    >>> model = VICReg(small_cnn_encoder(), lambda_param=25.0, mu_param=25.0, nu_param=1.0)
    >>> [tracker.name for tracker in model.term_trackers.values()]
    ['invariance', 'variance', 'covariance']

    Reference:
        Bardes, Ponce, LeCun. VICReg: Variance-Invariance-Covariance Regularization for
        Self-Supervised Learning. ICLR 2022, Algorithm 1.
    """

    serialized_layers = ("expander",)
    config_arguments = ("lambda_param", "mu_param", "nu_param", "eps")

    def __init__(
        self,
        encoder: keras.Model,
        expander: keras.layers.Layer | None = None,
        augmentation: keras.layers.Layer | None = None,
        lambda_param: float = 25.0,
        mu_param: float = 25.0,
        nu_param: float = 1.0,
        eps: float = 1e-4,
        num_classes: int | None = None,
        **kwargs,
    ):
        for name, value in (
            ("lambda_param", lambda_param),
            ("mu_param", mu_param),
            ("nu_param", nu_param),
        ):
            check_positive(value, name, allow_zero=True)
        check_positive(eps, "eps")
        super().__init__(encoder, augmentation, num_classes, **kwargs)
        if expander is None:
            expander = ProjectionHead(hidden_dims=(1024, 1024), output_dim=1024, name="expander")
        self.expander = expander
        self.lambda_param = float(lambda_param)
        self.mu_param = float(mu_param)
        self.nu_param = float(nu_param)
        self.eps = float(eps)
        self.term_trackers = {
            name: keras.metrics.Mean(name=name) for name in ("invariance", "variance", "covariance")
        }

    def forward_views(self, view_a, view_b, training=None):
        return self.encode_views((view_a, view_b), {"z": self.expander}, training)

    def compute_ssl_loss(self, outputs, training=False):
        """`vicreg_loss(z_a, z_b, lambda_param, mu_param, nu_param, eps)`."""
        del training
        z_a, z_b = float32_outputs(outputs, ("z_a", "z_b"))
        return vicreg_loss(z_a, z_b, self.lambda_param, self.mu_param, self.nu_param, self.eps)

    def update_metrics(self, outputs):
        z_a, z_b = float32_outputs(outputs, ("z_a", "z_b"), stop_gradient=True)
        for tracker, term in zip(self.term_trackers.values(), vicreg_terms(z_a, z_b, self.eps)):
            tracker.update_state(term)
