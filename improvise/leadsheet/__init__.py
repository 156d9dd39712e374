"""Lead sheets: the model (bars of chords expanded into the form), and one reader a format: text,
Impro-Visor .ls, iReal Pro, MusicXML, JazzStandards JSON, WJD. `load.load_leadsheet` picks the reader."""
