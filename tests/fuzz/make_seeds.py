#!/usr/bin/env python3
# Writes the IDX seed corpus of the fuzz_idx target into seeds/idx/: small
# valid label and image files, plain and gzip'ed, and one of each way a
# file can be wrong. Deterministic (gzip mtime 0); run again to refresh.
import gzip
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "seeds", "idx")


def idx(dims, data, ndims=None):
    """An IDX file of unsigned bytes: magic, big-endian sizes, data."""
    nd = len(dims) if ndims is None else ndims
    return bytes([0, 0, 8, nd]) + b"".join(
        struct.pack(">I", d) for d in dims) + bytes(data)


def gz(raw):
    return gzip.compress(raw, compresslevel=9, mtime=0)


def main():
    os.makedirs(OUT, exist_ok=True)
    labels = idx([5], [0, 1, 2, 9, 3])
    images = idx([2, 3, 3], range(18))
    seeds = {
        "labels.idx": labels,
        "images.idx": images,
        "labels.idx.gz": gz(labels),
        "images.idx.gz": gz(images),
        "empty": b"",
        "magic_only.idx": bytes([0, 0, 8, 1]),
        "bad_magic.idx": bytes([0, 0, 9, 1]) + labels[4:],
        "wrong_ndims.idx": idx([5], [0] * 5, ndims=2),
        "zero_dim.idx": idx([2, 0, 3], []),
        "truncated_header.idx": images[:9],
        "truncated_data.idx": images[:-4],
        "extra_byte.idx": labels + b"\x07",
        "huge_claim.idx": idx([65536, 256, 128], [1, 2, 3]),
        "overflow_claim.idx": idx([0xFFFFFFFF, 0xFFFFFFFF, 2], []),
        "truncated.idx.gz": gz(images)[:-9],
        "corrupt.idx.gz": gz(images)[:12] + b"\xff\x00\xff" + gz(images)[15:],
        "gzip_extra.idx.gz": gz(labels + b"\x01\x02"),
        "two_members.idx.gz": gz(labels[:6]) + gz(labels[6:]),
    }
    for name, data in seeds.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
