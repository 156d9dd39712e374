"""Corpus readers and generators: each turns a source into `improvise.music.Tune`s."""
