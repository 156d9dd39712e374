"""Corpus readers and generators: each turns a source into `improvise.core.music.Tune`s."""
