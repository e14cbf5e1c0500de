"""Uploaded BPMN/DMN files read once for every edge (the API's multipart parts, the designer page).

An upload is a file name and bytes. The name is reduced to its last path component (a browser
may send `C:\\models\\x.bpmn`; a name is never a path on the server), or `upload-N.bpmn` when the
client sent none. The bytes must look like an XML document (after a byte-order mark and blank
space, a `<`) and be UTF-8 text, since definitions are stored and linted as text; anything else
is refused before linting with `UnreadableUpload`, which names the part and the file. Whether
the XML is well formed, and valid BPMN/DMN, is the linter's question (located problems).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import PurePath

from pathways.engine.definitions import SourceFile
from pathways.engine.errors import PathwaysError

#: what may come before the root element of a document a modeler saved
LEADING = b"\xef\xbb\xbf \t\r\n"


class UnreadableUpload(PathwaysError):
    """A part that is not an XML document (`reason` "not_xml") or not UTF-8 text ("not_utf8").

    `details`: `part` (1-based), `file` (the name as kept), `reason`. The API answers 415.
    """

    code = "unsupported_media_type"


#: the longest file name kept (its column's length); a longer one keeps its last characters
MAX_NAME = 255


def upload_name(filename: str | None, number: int) -> str:
    """The name a part is kept under: its last path component, or `upload-N.bpmn`."""
    name = PurePath((filename or "").replace("\\", "/")).name or f"upload-{number}.bpmn"
    if len(name) > MAX_NAME:  # the column holding it (`definition_blobs.filename`): keep the end
        name = name[-MAX_NAME:]
    return name


def read_upload(filename: str | None, content: bytes, number: int = 1) -> SourceFile:
    """One uploaded file as a source file, or `UnreadableUpload`."""
    name = upload_name(filename, number)
    if not content.lstrip(LEADING).startswith(b"<"):
        raise UnreadableUpload(f"part {number} ({name}) is not an XML document", part=number, file=name,
                               reason="not_xml")
    try:
        content.decode("utf-8")
    except UnicodeDecodeError as error:
        raise UnreadableUpload(f"part {number} ({name}) is not UTF-8 text (byte {error.start})", part=number,
                               file=name, reason="not_utf8") from None
    return SourceFile(name, content)


def read_uploads(parts: Iterable[tuple[str | None, bytes]]) -> list[SourceFile]:
    """Every (file name, bytes) part, numbered from 1, as source files; the first unreadable one raises."""
    return [read_upload(filename, content, number) for number, (filename, content) in enumerate(parts, start=1)]
