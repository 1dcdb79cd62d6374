"""The `hares-zoo` console command: one subcommand per module of this package."""
