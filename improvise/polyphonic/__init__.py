"""The polyphonic piano-roll bench (Boulanger-Lewandowski et al. 2012): the 88-output LSTM, test NLL
per step."""
