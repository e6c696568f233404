"""The benchmark's app and widget (scripts/bench drives them); not part of the demo."""
