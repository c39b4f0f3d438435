"""A strict reader of the UBJSON that XGBoost writes (its binary model format).

It accepts exactly what XGBoost's ``UBJWriter`` produces and refuses anything
else: XGBoost's own reader does no bounds checks, so a document it accepts but this
reader refuses is a document that could make it read out of bounds.
"""

import struct

import numpy as np

__all__ = ["TypedArray", "UBJSONError", "loads"]

#: Deepest nesting accepted; an XGBoost model nests about 8 levels.
MAX_DEPTH = 32

#: Scalar markers XGBoost writes: integers by width, float32, strings, constants.
_INTEGERS = {b"i": ">b", b"I": ">h", b"l": ">i", b"L": ">q"}

#: Element types of typed arrays (``[$<type>#L<count>``), as numpy dtypes.
_TYPED = {
    b"d": np.dtype(">f4"),
    b"D": np.dtype(">f8"),
    b"i": np.dtype(">i1"),
    b"U": np.dtype(">u1"),
    b"I": np.dtype(">i2"),
    b"l": np.dtype(">i4"),
    b"L": np.dtype(">i8"),
}


class UBJSONError(ValueError):
    """The bytes are not a UBJSON document as XGBoost writes them."""


class TypedArray:
    """A typed array: its UBJSON element marker and its values (native byte order)."""

    __slots__ = ("marker", "values")

    def __init__(self, marker, values):
        self.marker = marker
        self.values = values

    def __len__(self):
        return len(self.values)

    def __repr__(self):
        return f"TypedArray({self.marker!r}, n={len(self.values)})"


def loads(data):
    """Decode one UBJSON object that fills ``data`` exactly."""
    reader = _Reader(bytes(data))
    if reader.peek() != b"{":
        raise UBJSONError("the document is not a UBJSON object")
    value = reader.value(0)
    if reader.pos != len(reader.data):
        raise UBJSONError(f"{len(reader.data) - reader.pos} bytes follow the document")
    return value


class _Reader:
    def __init__(self, data):
        self.data = data
        self.pos = 0

    def fail(self, why):
        raise UBJSONError(f"{why} at byte {self.pos}")

    def peek(self):
        return self.data[self.pos : self.pos + 1]

    def take(self, n):
        if n < 0 or n > len(self.data) - self.pos:
            self.fail(f"a length of {n} runs past the end of the document")
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def unpack(self, fmt):
        return struct.unpack(fmt, self.take(struct.calcsize(fmt)))[0]

    def count(self):
        if self.take(1) != b"L":
            self.fail("a length is not an int64 ('L')")
        return self.unpack(">q")

    def string(self):
        raw = self.take(self.count())
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            self.fail("a string is not valid UTF-8")

    def value(self, depth):
        if depth > MAX_DEPTH:
            self.fail(f"nesting deeper than {MAX_DEPTH}")
        marker = self.take(1)
        if marker == b"{":
            result = {}
            while self.peek() != b"}":
                if not self.peek():
                    self.fail("an object is not closed")
                key = self.string()
                if key in result:
                    self.fail(f"the key {key!r} appears twice in an object")
                result[key] = self.value(depth + 1)
            self.pos += 1
            return result
        if marker == b"[":
            return self.array(depth)
        if marker in _INTEGERS:
            return self.unpack(_INTEGERS[marker])
        if marker == b"d":
            return self.unpack(">f")
        if marker == b"S":
            return self.string()
        constants = {b"Z": None, b"T": True, b"F": False}
        if marker in constants:
            return constants[marker]
        self.fail(f"unexpected marker {marker!r}")

    def array(self, depth):
        if self.peek() == b"$":
            self.pos += 1
            marker = self.take(1)
            if marker not in _TYPED:
                self.fail(f"unknown typed-array element {marker!r}")
            if self.take(1) != b"#":
                self.fail("a typed array has no count")
            n = self.count()
            dtype = _TYPED[marker]
            if n < 0 or n > (len(self.data) - self.pos) // dtype.itemsize:
                self.fail(f"a typed array of {n} elements runs past the end")
            values = np.frombuffer(self.take(n * dtype.itemsize), dtype=dtype)
            return TypedArray(marker, values.astype(dtype.newbyteorder("=")))
        if self.take(1) != b"#":
            self.fail("an array has no count (XGBoost always writes one)")
        n = self.count()
        if n < 0 or n > len(self.data) - self.pos:  # every value takes a byte at least
            self.fail(f"an array of {n} elements runs past the end")
        return [self.value(depth + 1) for _ in range(n)]
