"""Application workflows that compose the lower layers (encoders, training, evaluation, export):
`publish.publish_run` turns a finished pretraining run into a published encoder with its model
card. The `hares-zoo` subcommands (`zoo.cli`) sit beside them in the applications layer."""
