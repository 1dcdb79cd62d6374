"""Read a PyTorch weights file (`torch.save` of a state dict) into numpy arrays, without torch.

Both of torch's formats: the zip archive (`archive/data.pkl` plus one raw file per storage, torch >=
1.6) and the legacy stream (pickles for magic number, protocol and system info, the object, the
storage keys, then each storage's element count and raw bytes). The unpickler resolves only the
names a state dict needs (tensor rebuild functions, typed storages, `OrderedDict`) and refuses any
other global, so reading a file never runs code from it.

    weights = read_torch_file("pretrained.pt")     # {"model_state": {"lstm.weight_ih_l0": ndarray, ...}, ...}
"""

import collections
import io
import pickle
import struct
import zipfile

import numpy as np

from zoo.errors import ZooError

LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
STORAGE_DTYPES = {"FloatStorage": np.float32, "DoubleStorage": np.float64, "HalfStorage": np.float16,
                  "LongStorage": np.int64, "IntStorage": np.int32, "ShortStorage": np.int16,
                  "CharStorage": np.int8, "ByteStorage": np.uint8, "BoolStorage": np.bool_}


class _Storage:
    """A storage named by the pickle; its bytes are attached once read."""

    def __init__(self, dtype, numel):
        self.dtype, self.numel, self.array = dtype, int(numel), None


class _TensorRef:
    def __init__(self, storage, offset, size, stride):
        self.storage, self.offset, self.size, self.stride = storage, int(offset), tuple(size), tuple(stride)

    def to_numpy(self):
        flat = self.storage.array
        item = flat.dtype.itemsize
        view = np.lib.stride_tricks.as_strided(flat[self.offset:], shape=self.size,
                                               strides=[s * item for s in self.stride])
        return np.array(view, copy=True)


def _rebuild_tensor(storage, offset, size, stride, *unused):
    return _TensorRef(storage, offset, size, stride)


def _rebuild_parameter(data, *unused):
    return data


_GLOBALS = {("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
            ("torch._utils", "_rebuild_tensor"): _rebuild_tensor,
            ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
            ("collections", "OrderedDict"): collections.OrderedDict}


class _Unpickler(pickle.Unpickler):
    def __init__(self, file, load_storage, path):
        super().__init__(file)
        self.load_storage, self.path = load_storage, path

    def find_class(self, module, name):
        if (module, name) in _GLOBALS:
            return _GLOBALS[(module, name)]
        if module == "torch" and name in STORAGE_DTYPES:
            return STORAGE_DTYPES[name]
        raise ZooError(f"{self.path}: holds {module}.{name}, which a weights file should not; refusing to read it")

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and pid and pid[0] == "storage"):
            raise ZooError(f"{self.path}: unexpected persistent id {pid!r}")
        _, dtype, key, _location, numel = pid[:5]
        return self.load_storage(str(key), dtype, numel)


def _materialise(obj):
    if isinstance(obj, _TensorRef):
        return obj.to_numpy()
    if isinstance(obj, dict):
        return type(obj)((k, _materialise(v)) for k, v in obj.items())
    if isinstance(obj, (list, tuple)):
        return type(obj)(_materialise(v) for v in obj)
    return obj


def _read_zip(path):
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        pickles = [n for n in names if n.endswith("/data.pkl")]
        if len(pickles) != 1:
            raise ZooError(f"{path}: a torch zip file has one */data.pkl; found {len(pickles)}")
        root = pickles[0][:-len("data.pkl")]

        def load_storage(key, dtype, numel):
            storage = _Storage(dtype, numel)
            storage.array = np.frombuffer(archive.read(f"{root}data/{key}"), dtype=dtype)[:numel]
            return storage

        return _Unpickler(io.BytesIO(archive.read(pickles[0])), load_storage, path).load()


def _read_legacy(path):
    with open(path, "rb") as f:
        if pickle.load(f) != LEGACY_MAGIC:
            raise ZooError(f"{path}: not a PyTorch weights file (wrong magic number)")
        pickle.load(f)            # protocol version
        pickle.load(f)            # system info (byte order, type sizes)
        storages = {}

        def load_storage(key, dtype, numel):
            return storages.setdefault(key, _Storage(dtype, numel))

        obj = _Unpickler(f, load_storage, path).load()
        for key in pickle.load(f):
            storage = storages[str(key)]
            (count,) = struct.unpack("<q", f.read(8))
            size = count * np.dtype(storage.dtype).itemsize
            data = f.read(size)
            if len(data) != size:
                raise ZooError(f"{path}: truncated (storage {key} wants {size} bytes, {len(data)} left)")
            storage.array = np.frombuffer(data, dtype=storage.dtype)
        return obj


def read_torch_file(path):
    """The object saved in `path` with tensors as numpy arrays (float32 stays float32)."""
    try:
        obj = _read_zip(path) if zipfile.is_zipfile(path) else _read_legacy(path)
    except (pickle.UnpicklingError, EOFError, struct.error, zipfile.BadZipFile, KeyError) as error:
        raise ZooError(f"{path}: not a readable PyTorch weights file ({error})") from error
    return _materialise(obj)
