"""Built-in corpora made from real recordings that install offline (see `open_audio`)."""
