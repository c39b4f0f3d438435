"""Helpers for skdistill's own tests and developers; nothing here is public API.

``_discovery.all_estimators`` finds the public estimator classes from the
``__all__`` of skdistill's public modules, so the contract tests run over every one
of them without a hand-kept list.
"""
