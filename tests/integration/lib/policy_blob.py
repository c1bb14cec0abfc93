"""Decode the binary policy that apparmor_parser writes to .replace/.load.

The fake apparmorfs only needs to know which profiles a write carries and in
which mode, so this walks the stream of typed elements the parser emits
(see the parser's policy serialisation) and pulls out, for each top-level
record: the ABI version word, the optional namespace, the profile name and
the mode from the "flags" struct.

Wire format (little endian), one element = a one-byte type code, then:
  U8/U16/U32/U64   the value (1/2/4/8 bytes)
  NAME, STRING     u16 length (including the trailing NUL), then the bytes
  BLOB             u32 length, then the bytes (DFA tables; padding included)
  ARRAY            u16 element count; elements follow until ARRAYEND
  STRUCT, LIST     no payload; elements follow until STRUCTEND / LISTEND
A NAME element labels the element that follows it.

One record is:
  NAME "version" U32
  [NAME "namespace" STRING]
  NAME "profile" STRUCT  STRING <profile name>  ...  NAME "flags" STRUCT
      U32 <flags: bit 0 = hat>  U32 <mode>  U32 <audit>  STRUCTEND ...
  STRUCTEND
apparmor_parser 3.0.8 opens .replace once per profile and writes exactly one
record per write(); hats and child profiles come as records of their own,
named "parent//child".  The kernel itself accepts several records in one
write (a cache file is loaded that way), so the decoder accepts a stream of
records and tells how many bytes form complete ones.
"""

import struct

SD_U8, SD_U16, SD_U32, SD_U64, SD_NAME, SD_STRING, SD_BLOB, SD_STRUCT, \
    SD_STRUCTEND, SD_LIST, SD_LISTEND, SD_ARRAY, SD_ARRAYEND = range(13)

# The bytes every record starts with: NAME, length 8, "version\0".
RECORD_HEADER = b"\x04\x08\x00version\x00"

# Bits of the version word (the kernel's policy_unpack).
K_ABI_MASK = 0x3FF
FORCE_COMPLAIN_FLAG = 0x800

PACKED_FLAG_HAT = 0x1
# The packed mode values and the names the kernel prints in "profiles".
MODE_NAMES = {0: "enforce", 1: "complain", 2: "kill", 3: "unconfined", 4: "user"}

# A record bigger than this is not something the tests produce; refuse it
# rather than buffer without bound.
MAX_RECORD_BYTES = 64 * 1024 * 1024
MAX_DEPTH = 64

_FIXED = {SD_U8: 1, SD_U16: 2, SD_U32: 4, SD_U64: 8}


class Incomplete(Exception):
    """The buffer ends inside a record: more bytes are needed."""


class BlobError(ValueError):
    """The bytes are not a policy record the kernel would accept."""


class Record:
    """One profile as the kernel would load it."""

    __slots__ = ("version", "ns", "name", "mode", "hat", "size")

    def __init__(self, version, ns, name, mode, hat, size):
        self.version = version
        self.ns = ns
        self.name = name
        self.mode = mode
        self.hat = hat
        self.size = size

    @property
    def fqname(self):
        """The name as the kernel's profiles file shows it."""
        return f":{self.ns}:{self.name}" if self.ns else self.name

    @property
    def abi(self):
        return self.version & K_ABI_MASK

    def __repr__(self):
        return (f"Record({self.fqname!r}, mode={self.mode!r}, hat={self.hat}, "
                f"abi={self.abi}, size={self.size})")


def _need(buf, pos, n):
    if pos + n > len(buf):
        raise Incomplete()


def _element(buf, pos):
    """Return (code, value, next position) of the element at pos."""
    _need(buf, pos, 1)
    code = buf[pos]
    pos += 1
    if code in _FIXED:
        size = _FIXED[code]
        _need(buf, pos, size)
        value = int.from_bytes(buf[pos:pos + size], "little")
        return code, value, pos + size
    if code in (SD_NAME, SD_STRING):
        _need(buf, pos, 2)
        (size,) = struct.unpack_from("<H", buf, pos)
        pos += 2
        _need(buf, pos, size)
        raw = bytes(buf[pos:pos + size])
        if size == 0 or raw[-1] != 0:
            raise BlobError(f"string at offset {pos - 3} is not NUL-terminated")
        return code, raw[:-1].decode("utf-8", "surrogateescape"), pos + size
    if code == SD_BLOB:
        _need(buf, pos, 4)
        (size,) = struct.unpack_from("<I", buf, pos)
        if size > MAX_RECORD_BYTES:
            raise BlobError(f"blob of {size} bytes at offset {pos - 1}")
        pos += 4
        _need(buf, pos, size)
        return code, size, pos + size
    if code == SD_ARRAY:
        _need(buf, pos, 2)
        (count,) = struct.unpack_from("<H", buf, pos)
        return code, count, pos + 2
    if code in (SD_STRUCT, SD_STRUCTEND, SD_LIST, SD_LISTEND, SD_ARRAYEND):
        return code, None, pos
    raise BlobError(f"unknown element type {code} at offset {pos - 1}")


def _expect_named(buf, pos, name, code):
    c, value, pos = _element(buf, pos)
    if c != SD_NAME or value != name:
        raise BlobError(f"expected name {name!r} at offset {pos}")
    c, value, pos = _element(buf, pos)
    if c != code:
        raise BlobError(f"{name!r} has element type {c}, expected {code}")
    return value, pos


def parse_record(buf, pos=0):
    """Parse the record at pos; return (Record, position after it).

    Raises Incomplete when buf ends inside the record and BlobError when the
    bytes cannot be a record.
    """
    start = pos
    version, pos = _expect_named(buf, pos, "version", SD_U32)
    ns = None
    c, value, after = _element(buf, pos)
    if c == SD_NAME and value == "namespace":
        ns, pos = _expect_named(buf, pos, "namespace", SD_STRING)
        if not ns:
            raise BlobError("empty namespace")
    _, pos = _expect_named(buf, pos, "profile", SD_STRUCT)
    c, name, pos = _element(buf, pos)
    if c != SD_STRING or not name:
        raise BlobError("profile struct does not start with its name")

    depth = 1
    pending_name = None
    flags = None
    while depth:
        if pos - start > MAX_RECORD_BYTES:
            raise BlobError("record too large")
        c, value, pos = _element(buf, pos)
        if c == SD_NAME:
            pending_name = value
            continue
        if c in (SD_STRUCT, SD_LIST, SD_ARRAY):
            if depth == 1 and c == SD_STRUCT and pending_name == "flags":
                words = []
                for _ in range(3):
                    c2, v2, pos = _element(buf, pos)
                    if c2 != SD_U32:
                        raise BlobError("flags struct does not hold three u32")
                    words.append(v2)
                c2, _, pos = _element(buf, pos)
                if c2 != SD_STRUCTEND:
                    raise BlobError("flags struct is not closed")
                flags = words
            else:
                depth += 1
                if depth > MAX_DEPTH:
                    raise BlobError("nesting too deep")
        elif c in (SD_STRUCTEND, SD_LISTEND, SD_ARRAYEND):
            depth -= 1
        pending_name = None

    if flags is None:
        raise BlobError(f"profile {name!r} has no flags struct")
    packed_flags, packed_mode, _audit = flags
    if packed_mode == 1 or version & FORCE_COMPLAIN_FLAG:
        mode = "complain"
    elif packed_mode in MODE_NAMES:
        mode = MODE_NAMES[packed_mode]
    else:
        raise BlobError(f"profile {name!r} has unknown mode {packed_mode}")
    return Record(version, ns, name, mode, bool(packed_flags & PACKED_FLAG_HAT),
                  pos - start), pos


def split_records(buf):
    """Parse the complete records at the start of buf.

    Returns (records, consumed): the bytes after `consumed` are the start of
    a record not yet complete.  Raises BlobError on bytes that are not a
    record; the caller may resynchronise with find_next_header().
    """
    records = []
    pos = 0
    while pos < len(buf):
        try:
            record, pos = parse_record(buf, pos)
        except Incomplete:
            break
        records.append(record)
    return records, pos


def decode(buf):
    """Parse a whole buffer (e.g. one write, or a cache file) into records."""
    records, consumed = split_records(buf)
    if consumed != len(buf):
        raise BlobError(f"{len(buf) - consumed} trailing bytes are not a whole record")
    if not records:
        raise BlobError("no record")
    return records


def find_next_header(buf, start=1):
    """Offset of the next record header at or after start, or -1."""
    return bytes(buf).find(RECORD_HEADER, start)
