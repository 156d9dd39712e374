"""The `improvise` command: one module a command group, each a thin wrapper over a package function."""
