"""Rendering: audio, scores, plots, the training GIF and the HTML report of a run folder."""
