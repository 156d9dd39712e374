"""The blues of seed 000: the chord/melody network trained on the synthesized 12-bar corpus,
free-run for as many choruses as you ask, with its structure metrics; and Eck & Schmidhuber
2002's own network (`eck2002`)."""
