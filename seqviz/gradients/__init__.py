"""Gradient flow: exact ‖dL/dh_t‖ through time, Jacobian spectra, who teaches whom, the (ρ, T) phase
sweep, and training on long-memory tasks with gradient clipping."""
