"""Every file a district could be sent, read as it could read it: any file under reports/<year>/, any type.

Pages (HTML, with their charts decoded), tables (CSV, XLSX), JSON (a manifest), executed notebooks (their
parameters, code, metadata and every output: HTML read as a page, SVG and PNG images decoded), SVG and PNG
files, plain text; and for any other format the text runs in its bytes. Text pulled out of images and bytes is
read as prose: names, IDs and pseudonyms, figures with their unit or with more decimals than any page shows.
A file whose name (or folder) carries a pseudonym goes to that district; every other file may reach any district.
"""

from __future__ import annotations

import base64
import json
import re
import struct
import zipfile
import zlib
from pathlib import Path

import pandas as pd

from benchmarks.config import INDEX_PAGE, owner_of
from benchmarks.privacy.audit.artifacts import Artifact, _PageReader, read_table, read_xlsx
from benchmarks.privacy.audit.charts import embedded_svgs, read_svg

TEXT_SUFFIXES = {".txt", ".md", ".log", ".tsv", ".xml", ".yml", ".yaml", ".py", ".tex", ".rst"}
_PNG_URI = re.compile(r"data:image/png;base64,([A-Za-z0-9+/=]+)")
_RUNS = re.compile(rb"[\x20-\x7e]{4,}")
#: Paths of the analyst's machine: a home, temporary or system folder, or a Windows user folder.
LOCAL_PATH = re.compile(r"(?<![\w.:/])(?:/(?:home|Users|root|tmp|var|private|mnt|srv|opt|media|data|work)"
                        r"/[^\s\"'<>]+|[A-Za-z]:\\(?:Users|Documents and Settings)\\[^\s\"'<>]+)")


def owner_of_file(relative: Path) -> str | None:
    """The district a file goes to: the first part of its path (folder or file name, without a leading dot
    or any suffix) that names a district's own files (config.owner_of)."""
    for part in relative.parts:
        owner = owner_of(part.lstrip(".").split(".", 1)[0])
        if owner:
            return owner
    return None


def received_files(folder: Path) -> list[tuple[Path, str | None]]:
    """Every file under the year's folder, hidden and nested ones too, with the district it goes to."""
    return [(p, owner_of_file(p.relative_to(folder))) for p in sorted(folder.rglob("*")) if p.is_file()]


def _strings(value, out: list[str]) -> None:
    """Every key and scalar of a JSON document, as text."""
    if isinstance(value, dict):
        for k, v in value.items():
            out.append(str(k))
            _strings(v, out)
    elif isinstance(value, list):
        for v in value:
            _strings(v, out)
    elif value is not None:
        out.append(str(value))


def png_text(data: bytes) -> list[str]:
    """The text chunks of a PNG (tEXt, zTXt, iTXt: software, title, any key a writer added)."""
    out, pos = [], 8
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        try:
            if kind == b"tEXt":
                out.append(body.replace(b"\0", b" ").decode("latin-1"))
            elif kind == b"zTXt":
                key, _, rest = body.partition(b"\0")
                out.append(key.decode("latin-1") + " " + zlib.decompress(rest[1:]).decode("latin-1"))
            elif kind == b"iTXt":
                key, _, rest = body.partition(b"\0")
                flag, rest = rest[0], rest[2:]
                _, _, rest = rest.partition(b"\0")  # language tag
                _, _, rest = rest.partition(b"\0")  # translated keyword
                out.append(key.decode("latin-1") + " " + (zlib.decompress(rest) if flag else rest).decode("utf-8"))
        except (zlib.error, UnicodeDecodeError, IndexError):
            pass
        pos += 12 + length
    return out


def byte_runs(data: bytes) -> list[str]:
    """Text a reader could pull out of any file: runs of printable characters, also as UTF-16."""
    runs = [r.decode("ascii") for r in _RUNS.findall(data)]
    wide = data.replace(b"\0", b"") if data.count(b"\0") > len(data) // 4 else b""
    return runs + [r.decode("ascii") for r in _RUNS.findall(wide)]


def zip_text(path: Path, only: tuple[str, ...] = ("",)) -> list[str]:
    """The text runs of the members of a zip-based file (an office document, an archive), uncompressed."""
    out = []
    with zipfile.ZipFile(path) as z:
        for info in z.infolist():
            if info.filename.startswith(only) and info.file_size < 50_000_000:
                out.append(info.filename)
                out.extend(byte_runs(z.read(info)))
    return out


def add_charts(a: Artifact, text: str) -> None:
    """Decode the SVG charts and PNG images a text embeds into the artifact: their text and drawn marks."""
    for svg in embedded_svgs(text):
        texts, marks = read_svg(svg, len(a.charts))
        a.charts.append(marks)
        a.prose.extend(texts)
    for data in _PNG_URI.findall(text):
        try:
            a.prose.extend(png_text(base64.b64decode(data)))
        except ValueError:
            continue


def read_page(name: str, text: str, owner: str | None, kind: str, a: Artifact | None = None) -> Artifact:
    """An HTML page (or a notebook's HTML output added to `a`) with its charts decoded."""
    a = a or Artifact(name, owner=owner, kind=kind)
    reader = _PageReader(a)
    reader.feed(text)
    reader._end_cell()
    add_charts(a, text)
    return a


def read_notebook(name: str, nb: dict, owner: str | None) -> Artifact:
    """An executed notebook: its metadata (parameters, paths), every cell's source, every output."""
    a = Artifact(name, owner=owner, kind="report" if owner else "board")
    _strings(nb.get("metadata", {}), a.attrs)
    for cell in nb.get("cells", []):
        a.attrs.append("".join(cell.get("source", "")))
        _strings(cell.get("metadata", {}), a.attrs)
        for out in cell.get("outputs", []):
            a.prose.append("".join(out.get("text", "")))
            a.prose.extend(str(x) for x in (out.get("ename"), out.get("evalue")) if x)
            a.attrs.append("".join(out.get("traceback", [])))
            for mime, body in out.get("data", {}).items():
                body = "".join(body) if isinstance(body, list) else str(body)
                if mime == "text/html":
                    read_page(name, body, owner, a.kind, a)
                elif mime == "image/svg+xml":
                    texts, marks = read_svg(body, len(a.charts))
                    a.charts.append(marks)
                    a.prose.extend(texts)
                elif mime == "image/png":
                    a.prose.extend(png_text(base64.b64decode(body)))
                else:
                    a.prose.append(body)
    return a


def read_any(path: Path, owner: str | None = None, name: str | None = None) -> Artifact:
    """Whatever a reader can get out of one file, by its type; unknown types by the text in their bytes."""
    name = name or path.name
    suffix = path.suffix.lower()
    data = path.read_bytes()
    text = data.decode("utf-8", "replace")
    try:
        if suffix in (".html", ".htm"):
            kind = "report" if owner else ("index" if path.name == INDEX_PAGE else "board")
            return read_page(name, text, owner, kind)
        if suffix == ".csv":
            a = read_table(name, pd.read_csv(path, dtype=str, keep_default_na=False), owner)
        elif suffix == ".xlsx":
            a = read_xlsx(path, owner)
            a.name = name
            a.prose.extend(zip_text(path, only=("docProps/",)))  # the author, title, company a writer may add
            return a
        elif suffix in (".json", ".ipynb"):
            doc = json.loads(text)
            if isinstance(doc, dict) and "cells" in doc:
                return read_notebook(name, doc, owner)
            a = Artifact(name, owner=owner, kind="file")
            _strings(doc, a.attrs)
            return a
        elif suffix == ".svg":
            a = Artifact(name, owner=owner, kind="file")
            texts, marks = read_svg(text)
            a.prose.extend(texts)
            a.charts.append(marks)
            return a
        elif suffix in TEXT_SUFFIXES or data.isascii():
            a = Artifact(name, owner=owner, kind="file", prose=[text])
            add_charts(a, text)
            return a
        else:
            a = Artifact(name, owner=owner, kind="file")
            if data.startswith(b"\x89PNG"):
                a.prose.extend(png_text(data))  # its pixels carry no text; compressed bytes would be noise
                return a
            if zipfile.is_zipfile(path):
                a.prose.extend(zip_text(path))
                return a
    except (ValueError, KeyError, OSError, pd.errors.ParserError) as exc:  # unreadable as its type
        a = Artifact(name, owner=owner, kind="file", attrs=[f"unreadable as {suffix or 'a file'}: {exc}"])
    if suffix != ".csv":
        a.prose.extend(byte_runs(data))  # an unknown format: any text in its bytes
    return a


def read_file(path: Path, owner: str | None = None) -> Artifact:
    """One file as a reader can read it, whatever its type (read_any with the file's own name)."""
    return read_any(path, owner)
