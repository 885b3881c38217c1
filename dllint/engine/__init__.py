"""The engine: discovery, settings, the per-file runner, the project phase, suppressions."""
