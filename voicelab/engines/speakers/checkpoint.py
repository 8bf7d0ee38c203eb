"""Read the tensors of a legacy (pre-zip) PyTorch checkpoint into numpy arrays, without torch.

The Resemblyzer voice encoder's ``pretrained.pt`` is a ``torch.save`` file in PyTorch's legacy format: five
pickles in a row (magic number, protocol version, system info, the object, the storage keys), then each
storage as a little-endian int64 element count followed by its raw elements. The object pickle refers to
storages by *persistent id* ``("storage", <type>, <key>, <location>, <numel>, <view>)`` and rebuilds tensors
with ``torch._utils._rebuild_tensor_v2(storage, offset, size, stride, …)``.

:func:`load_state_dict` follows that layout with an unpickler that resolves only the handful of globals such a
file needs (``collections.OrderedDict``, ``torch._utils._rebuild_tensor_v2``, ``torch.<Type>Storage``) and
refuses any other, so a checkpoint cannot run code. Callers verify the file's SHA-256 before reading it
(:func:`voicelab.engines.speakers.weights.encoder_weights`).

Examples
--------
>>> import io, pickle
>>> try:
...     load_state_dict(io.BytesIO(pickle.dumps(0x1950A86A20F9469CFC6C) + pickle.dumps(2)))
... except EngineError as exc:
...     print(exc)
checkpoint: unsupported protocol version 2 (expected 1001, PyTorch's legacy format)
"""

from __future__ import annotations

import collections
import pickle
from dataclasses import dataclass
from typing import IO, Any

import numpy as np

from voicelab.errors import EngineError

__all__ = ["load_state_dict"]

_MAGIC = 0x1950A86A20F9469CFC6C
_PROTOCOL = 1001
_DTYPES = {
    "FloatStorage": np.float32,
    "DoubleStorage": np.float64,
    "HalfStorage": np.float16,
    "LongStorage": np.int64,
    "IntStorage": np.int32,
    "ShortStorage": np.int16,
    "CharStorage": np.int8,
    "ByteStorage": np.uint8,
    "BoolStorage": np.bool_,
}


@dataclass(frozen=True)
class _StorageType:
    name: str


@dataclass
class _Storage:
    dtype: Any
    numel: int
    data: np.ndarray | None = None


@dataclass(frozen=True)
class _TensorRef:
    storage: _Storage
    offset: int
    size: tuple[int, ...]
    stride: tuple[int, ...]

    def array(self) -> np.ndarray:
        assert self.storage.data is not None
        base = self.storage.data[self.offset:]
        item = base.itemsize
        view = np.lib.stride_tricks.as_strided(
            base, shape=self.size, strides=tuple(s * item for s in self.stride), writeable=False
        )
        return np.array(view)


def _rebuild_tensor(storage: _Storage, offset: int, size: Any, stride: Any, *_: Any) -> _TensorRef:
    return _TensorRef(storage, int(offset), tuple(size), tuple(stride))


class _PlainUnpickler(pickle.Unpickler):
    """Numbers, strings and containers only."""

    def find_class(self, module: str, name: str) -> Any:
        raise EngineError(f"checkpoint: refusing to load global {module}.{name}")


class _Unpickler(pickle.Unpickler):
    def __init__(self, file: IO[bytes], storages: dict[str, _Storage]) -> None:
        super().__init__(file)
        self._storages = storages

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == ("collections", "OrderedDict"):
            return collections.OrderedDict
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return _rebuild_tensor
        if module == "torch" and name in _DTYPES:
            return _StorageType(name)
        raise EngineError(f"checkpoint: refusing to load global {module}.{name}")

    def persistent_load(self, pid: Any) -> Any:
        if not (isinstance(pid, tuple) and pid and pid[0] == "storage"):
            raise EngineError(f"checkpoint: unexpected persistent id {pid!r}")
        _, kind, key, _location, numel, view = pid
        if view is not None:
            raise EngineError("checkpoint: storage views are not supported")
        storage = self._storages.setdefault(str(key), _Storage(_DTYPES[kind.name], int(numel)))
        return storage


def _convert(obj: Any) -> Any:
    if isinstance(obj, _TensorRef):
        return obj.array()
    if isinstance(obj, dict):
        return {k: _convert(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return type(obj)(_convert(v) for v in obj)
    return obj


def load_state_dict(file: IO[bytes]) -> dict[str, Any]:
    """Load a legacy-format ``torch.save`` file as nested dicts whose tensors are numpy arrays.

    Parameters
    ----------
    file : binary file object
        The checkpoint, opened for reading (its SHA-256 already checked by the caller).

    Returns
    -------
    dict
        The saved object, with every tensor replaced by a C-contiguous ``numpy.ndarray`` of its dtype.

    Raises
    ------
    voicelab.errors.EngineError
        The file is not a legacy PyTorch checkpoint, or it names a global other than tensors, storages and
        ``OrderedDict``.
    """
    plain = _PlainUnpickler(file)
    if plain.load() != _MAGIC:
        raise EngineError("checkpoint: not a legacy PyTorch file (bad magic number)")
    version = plain.load()
    if version != _PROTOCOL:
        raise EngineError(
            f"checkpoint: unsupported protocol version {version} "
            f"(expected {_PROTOCOL}, PyTorch's legacy format)"
        )
    plain.load()  # system info: endianness and type sizes
    storages: dict[str, _Storage] = {}
    obj = _Unpickler(file, storages).load()
    keys = _PlainUnpickler(file).load()
    for key in keys:
        storage = storages[str(key)]
        count = int(np.frombuffer(file.read(8), "<i8")[0])
        if count != storage.numel:
            raise EngineError(f"checkpoint: storage {key} has {count} elements, expected {storage.numel}")
        nbytes = count * np.dtype(storage.dtype).itemsize
        raw = file.read(nbytes)
        if len(raw) != nbytes:
            raise EngineError(f"checkpoint: storage {key} is truncated")
        storage.data = np.frombuffer(raw, dtype=np.dtype(storage.dtype).newbyteorder("<"))
    result = _convert(obj)
    if not isinstance(result, dict):
        raise EngineError(f"checkpoint: expected a dict, got {type(result).__name__}")
    return result
