"""The "xgboost" strategy's own details.

The loss maths and the contracts shared with the "lightgbm" strategy are tested in
test_gbdt.py.
"""

import json

import numpy as np
import pytest

from skdistill import DistilledClassifier

xgb = pytest.importorskip("xgboost")


def test_blend_folds_the_prior_into_base_score(binary_data, binary_teacher):
    X, y = binary_data
    student = xgb.XGBClassifier(n_estimators=8, max_depth=3, n_jobs=1, random_state=0)
    model = DistilledClassifier(
        binary_teacher, student, temperature=4.0, alpha=1.0, random_state=0
    ).fit(X, y)
    config = json.loads(model.student_.get_booster().save_config())
    base = json.loads(config["learner"]["learner_model_param"]["base_score"])[0]
    init = model.strategy_.init_score_[0]
    # the fitted map back to temperature 1, scale * margin + bias, lives in the booster
    scale, bias = model.strategy_.output_scale_, model.strategy_.output_bias_
    margin = scale * init + (bias[1] - bias[0])
    assert base == pytest.approx(1 / (1 + np.exp(-margin)), rel=1e-5)
