"""Scoring encoders: embeddings over evaluation sub-clips, linear probes, per-clip averaging."""
