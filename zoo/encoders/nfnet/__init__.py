"""Normalizer-free networks: primitives (`layers`), blocks and pathways (`blocks`), variant tables
(`variants`), and the Slowfast / single-path encoders (`models`)."""
