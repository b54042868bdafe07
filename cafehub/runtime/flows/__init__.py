"""One module per command: each reads snapshots, applies the rules and builds the next message."""
