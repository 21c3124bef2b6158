"""surge demo's ramp-up follows the duration when none is given: 10s, or a third of a shorter run."""

from __future__ import annotations

import pytest

from surge.demo.showcase import DemoOptions, default_ramp_up_s


@pytest.mark.parametrize(
    ("duration_s", "ramp_up_s"), [(30.0, 10.0), (60.0, 10.0), (3600.0, 10.0), (2.0, 2 / 3), (0.5, 0.5 / 3)]
)
def test_default_ramp_up_follows_the_duration(duration_s: float, ramp_up_s: float) -> None:
    assert default_ramp_up_s(duration_s) == pytest.approx(ramp_up_s)
    assert DemoOptions(duration_s=duration_s).effective_ramp_up_s == pytest.approx(ramp_up_s)


def test_a_given_ramp_up_is_kept() -> None:
    assert DemoOptions(duration_s=2.0, ramp_up_s=0.0).effective_ramp_up_s == 0.0
    assert DemoOptions(duration_s=2.0, ramp_up_s=5.0).effective_ramp_up_s == 5.0  # refused later, with a line
