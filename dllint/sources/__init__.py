"""Inputs: reading Python files and hyperparameter config files into what rules read."""
