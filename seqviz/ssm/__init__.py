"""State-space models: HiPPO and S4/S4D kernels, the Mamba block and its selective scan, the synthetic
tasks, the S4D/Mamba/LSTM comparison, and the views the State-space models page shows."""
