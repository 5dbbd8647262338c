"""The language lab: character-level RNN/LSTM/GRU language models on real text (the Python standard
library's source), read unit by unit, searched for patterns, decoded with several strategies, and
traced for how far back each prediction reaches."""
