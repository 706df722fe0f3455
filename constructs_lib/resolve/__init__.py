"""Resolution: pure functions from the plan to concrete settings, with the reason for each."""
