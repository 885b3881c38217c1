"""The rules: one module per rule, named `dlNNN_rule_name.py`, found by `engine.registry`."""
