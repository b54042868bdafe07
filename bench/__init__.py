"""cafehub's benchmark suite (run with ``./dev bench``; see bench/README.md)."""
