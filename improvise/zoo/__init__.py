"""The melody model zoo (seed 002): Markov, HMM, MLP, RNN, LSTM, lookback and attention models, compared
on one corpus and asked how probable a melody is."""
