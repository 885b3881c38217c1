"""Output formats. Each module renders a list of diagnostics to text; the CLI writes it.

Modules are imported only when their format is chosen (rich, for one, is slow to import).
"""
