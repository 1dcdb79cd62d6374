"""Export under the serving contract (docs/design.md; `export/README.md` is the user-facing spec).

    export_encoder(name, out_dir, checkpoint=None)   SavedModel + encoder.keras + LiteRT files + model card,
                                                     verified (bundle.py)
    export_saved_model(encoder, out_dir, name)       the SavedModel alone (saved_model.py)
    export_tflite(encoder, out_dir, samples)         the LiteRT files alone (tflite.py)
    load(path) -> ExportedEncoder                    embed()/embed_file() without the signature (loader.py)
"""

from zoo.export.bundle import ExportVerificationError, export_encoder, load_checkpoint, summarize_parity
from zoo.export.loader import ExportedEncoder, SavedModelEncoder, load
from zoo.export.saved_model import export_saved_model
from zoo.export.tflite import QUANTIZATIONS, LiteRTEncoder, convert, export_tflite
from zoo.export.verify import cosine_similarities, real_like_clips

__all__ = ["ExportVerificationError", "ExportedEncoder", "LiteRTEncoder", "QUANTIZATIONS", "SavedModelEncoder",
           "convert", "cosine_similarities", "export_encoder", "export_saved_model", "export_tflite", "load",
           "load_checkpoint", "real_like_clips", "summarize_parity"]
