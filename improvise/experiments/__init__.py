"""The make targets' experiments: `make results`, `make bench`, the zoo and kern experiments. Each writes
the docs/ files it names."""
