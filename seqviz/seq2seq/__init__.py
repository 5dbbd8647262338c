"""Encoder–decoder RNNs with and without attention: the model, its score functions, the toy tasks,
training with checkpoints, and the experiments the Attention page shows."""
