"""What Lambda can load from a deployment package.

Lambda's Python runtimes run on Amazon Linux (python3.8-3.11: AL2, glibc 2.26;
python3.12+: AL2023, glibc 2.34). An extension module loads there only if its wheel
was built for it (a ``manylinux`` tag whose glibc is not newer than the runtime's, or
``abi3`` with such a tag) and it links only against libraries the runtime has or the
wheel bundles (``<dist>.libs/``). A module compiled on the build machine (tag
``linux_x86_64``, which Chalice accepts when no manylinux wheel fits) links against the
build machine's libraries and fails to import in Lambda.
"""

from __future__ import annotations

import re
import struct
import zipfile
from pathlib import PurePosixPath

RUNTIME_GLIBC = {
    "python3.10": (2, 26),
    "python3.11": (2, 26),
    "python3.12": (2, 34),
    "python3.13": (2, 34),
}
# Shared libraries every Lambda Python runtime provides (glibc, libgcc, libstdc++, zlib).
SYSTEM_LIBRARIES = re.compile(
    r"^(libc|libm|libdl|libpthread|librt|libutil|libresolv|libcrypt|libgcc_s|libstdc\+\+|libz|ld-linux-x86-64|"
    r"ld-linux-aarch64)\.so(\.\d+)*$"
)
_LEGACY = {"manylinux1": (2, 5), "manylinux2010": (2, 12), "manylinux2014": (2, 17)}


def tag_glibc(platform: str) -> tuple[int, int] | None:
    """The glibc a manylinux platform tag needs, or None when it is not manylinux."""
    for legacy, glibc in _LEGACY.items():
        if platform.startswith(legacy + "_"):
            return glibc
    m = re.match(r"manylinux_(\d+)_(\d+)_", platform)
    return (int(m.group(1)), int(m.group(2))) if m else None


def needed_libraries(elf: bytes) -> list[str]:
    """DT_NEEDED entries of a 64-bit little-endian ELF shared object."""
    if elf[:4] != b"\x7fELF" or elf[4] != 2 or elf[5] != 1:
        raise ValueError("not a 64-bit little-endian ELF file")
    (shoff,) = struct.unpack_from("<Q", elf, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", elf, 0x3A)
    sections = [struct.unpack_from("<IIQQQQIIQQ", elf, shoff + i * shentsize) for i in range(shnum)]
    needed = []
    for _name, sh_type, _flags, _addr, offset, size, link, _info, _align, _entsize in sections:
        if sh_type != 6:  # SHT_DYNAMIC
            continue
        strtab_offset = sections[link][4]
        for pos in range(offset, offset + size, 16):
            tag, value = struct.unpack_from("<qQ", elf, pos)
            if tag == 0:
                break
            if tag == 1:  # DT_NEEDED
                end = elf.index(b"\0", strtab_offset + value)
                needed.append(elf[strtab_offset + value : end].decode())
    return needed


def problems(zip_path: str, runtime: str) -> list[str]:
    """Every extension module of the package Lambda's ``runtime`` could not load, with why."""
    glibc = RUNTIME_GLIBC[runtime]
    found: list[str] = []
    with zipfile.ZipFile(zip_path) as z:
        names = z.namelist()
        owner: dict[str, str] = {}
        tags: dict[str, list[str]] = {}
        for name in names:
            if name.endswith(".dist-info/RECORD"):
                dist = name.split("/", 1)[0]
                for line in z.read(name).decode().splitlines():
                    owner[line.rsplit(",", 2)[0]] = dist
                tags[dist] = [
                    line.split(":", 1)[1].strip()
                    for line in z.read(f"{dist}/WHEEL").decode().splitlines()
                    if line.startswith("Tag:")
                ]
        bundled = {PurePosixPath(n).name for n in names if ".libs/" in n or n.endswith(".so") or ".so." in n}
        for name in names:
            if not re.search(r"\.so(\.\d+)*$", name) or ".libs/" in name:
                continue
            dist = owner.get(name)
            if dist is None:
                found.append(f"{name}: belongs to no installed wheel")
                continue
            platforms = [t.split("-")[-1] for t in tags[dist]]
            needs = [tag_glibc(p) for p in platforms]
            if not any(n is not None and n <= glibc for n in needs):
                found.append(f"{name}: {dist} is built for {', '.join(platforms)}, not manylinux for glibc <= {glibc}")
                continue
            for library in needed_libraries(z.read(name)):
                if not SYSTEM_LIBRARIES.match(library) and library not in bundled:
                    found.append(f"{name}: links {library}, which Lambda lacks and the package does not bundle")
    return found
