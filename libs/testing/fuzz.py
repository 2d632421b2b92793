"""Hypothesis settings shared by the fuzz tests (API and parsers), deepened from the environment.

PRODOPS_FUZZ_EXAMPLES=N runs N examples per test instead of the quick default;
PRODOPS_FUZZ_RANDOM=1 draws new cases every run instead of the same derandomized ones.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings


def fuzz_settings(default_examples: int) -> settings:
    """Settings for a fuzz test: no deadline (the machine is shared), the count and randomness from the env."""
    return settings(
        max_examples=int(os.environ.get("PRODOPS_FUZZ_EXAMPLES", default_examples)),
        deadline=None,
        derandomize=not os.environ.get("PRODOPS_FUZZ_RANDOM"),
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
    )
