"""Facts several rules need, computed once per file (names, values, hyperparameters)."""
