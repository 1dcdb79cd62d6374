"""Audio I/O, manifests, TFRecord shards, `tf.data` pipelines and the mini-HARES corpus.

Submodules are imported on use: `audio_io`, `manifest` and `prepare` do not import TensorFlow
(decoding workers start fast); `tfrecords` and `pipeline` do.
"""
