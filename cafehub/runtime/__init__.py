"""The chat runtime: commands, tasks (conversations) and workflow functions."""
