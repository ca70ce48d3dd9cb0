"""The main job's functions under their first name, for notebooks and scripts written
before the jobs moved to `ssl_keras.experiments` (the one home of the jobs): the same
objects as `ssl_keras.experiments.pretrain`, not a copy."""

from ssl_keras.experiments.pretrain import (  # noqa: F401
    PRESETS,
    PretrainConfig,
    __all__,  # noqa: F401
    build_encoder,
    config_for,
    evaluate_encoder,
    make_optimizer,
    run_pretraining,
    summary_table,
    train_simclr,
)
