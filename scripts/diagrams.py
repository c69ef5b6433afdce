"""Render the architecture diagrams and check that each PNG comes from its current PlantUML source.

    python3 -m scripts.diagrams render [--dir docs/architecture]   (make diagrams; needs plantuml)
    python3 -m scripts.diagrams check  [--dir docs/architecture]   (make diagrams-check; standard library only)

Rendering stamps each PNG with the sha256 of the source it was drawn from (a PNG ``tEXt`` chunk), so the check
compares hashes instead of pixels: it gives the same answer on any machine, whatever PlantUML, Java or font
versions render there.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import struct
import subprocess
import sys
import zlib
from pathlib import Path

DIAGRAMS_DIR = Path(__file__).resolve().parent.parent / "docs" / "architecture"
STAMP_KEY = b"source-sha256"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def source_digest(source: Path) -> str:
    return hashlib.sha256(source.read_bytes()).hexdigest()


def _chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    if not png.startswith(PNG_SIGNATURE):
        raise ValueError("not a PNG file")
    chunks, position = [], len(PNG_SIGNATURE)
    while position < len(png):
        (length,) = struct.unpack(">I", png[position : position + 4])
        kind = png[position + 4 : position + 8]
        chunks.append((kind, png[position + 8 : position + 8 + length]))
        position += 12 + length
    return chunks


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def stamp(png_path: Path, digest: str) -> None:
    """Write ``digest`` into the PNG as a ``tEXt`` chunk right after its header, replacing an older stamp."""
    chunks = [
        (k, d) for k, d in _chunks(png_path.read_bytes()) if not (k == b"tEXt" and d.startswith(STAMP_KEY + b"\0"))
    ]
    stamped = [chunks[0], (b"tEXt", STAMP_KEY + b"\0" + digest.encode()), *chunks[1:]]
    png_path.write_bytes(PNG_SIGNATURE + b"".join(_chunk(k, d) for k, d in stamped))


def stamp_of(png_path: Path) -> str | None:
    for kind, data in _chunks(png_path.read_bytes()):
        if kind == b"tEXt" and data.startswith(STAMP_KEY + b"\0"):
            return data.split(b"\0", 1)[1].decode()
    return None


def stale_diagrams(directory: Path) -> list[str]:
    """One line per diagram whose PNG is missing, unstamped, drawn from another version of its source, or
    left without a source."""
    problems = []
    sources = sorted(directory.glob("*.puml"))
    for source in sources:
        png = source.with_suffix(".png")
        if not png.is_file():
            problems.append(f"{png.name}: missing; render it from {source.name}")
            continue
        found = stamp_of(png)
        if found is None:
            problems.append(f"{png.name}: not rendered by `make diagrams` (no source stamp)")
        elif found != source_digest(source):
            problems.append(f"{png.name}: rendered from an older {source.name}")
    for png in sorted(directory.glob("*.png")):
        if not png.with_suffix(".puml").is_file():
            problems.append(f"{png.name}: has no {png.with_suffix('.puml').name} source")
    return problems


def render(directory: Path, plantuml: str = "plantuml") -> list[Path]:
    """Render every source to PNG beside it and stamp it with the source's hash."""
    if shutil.which(plantuml) is None:
        raise RuntimeError("plantuml is not installed; apt-get install -y plantuml (it needs Java)")
    sources = sorted(directory.glob("*.puml"))
    subprocess.run([plantuml, "-tpng", *map(str, sources)], check=True)
    for source in sources:
        stamp(source.with_suffix(".png"), source_digest(source))
    return sources


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m scripts.diagrams", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("render", "check"))
    parser.add_argument("--dir", type=Path, default=DIAGRAMS_DIR)
    args = parser.parse_args(argv)
    if args.command == "render":
        try:
            rendered = render(args.dir)
        except (RuntimeError, subprocess.CalledProcessError) as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        print(f"diagrams: {len(rendered)} rendered and stamped in {args.dir}")
        return 0
    problems = stale_diagrams(args.dir)
    for problem in problems:
        print(f"STALE {problem}", file=sys.stderr)
    if problems:
        print(f"diagrams: {len(problems)} not current; run `make diagrams` and commit the PNGs", file=sys.stderr)
        return 1
    print(f"diagrams: {len(list(args.dir.glob('*.puml')))} current in {args.dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
