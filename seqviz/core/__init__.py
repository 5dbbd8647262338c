"""The shared machinery: stock models by name, the exact trace, Jacobians, scans, seeding, devices,
memory budgets, checkpoints and argument checks. Every topic package builds on these."""
