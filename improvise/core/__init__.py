"""The core every capability shares: music containers, chord symbols, MIDI export, errors, input checks,
the run contract and the one sampler. No torch here."""
