"""moto's XML answers written straight to a string (patch 14 of :mod:`drs_local.moto_speed`).

moto's serializers build an answer as nested dicts and lists, then write it with
``xmltodict.unparse``, which goes through the SAX ``XMLGenerator`` an element at a time. For EC2 that
is most of an answer's cost: DescribeInstances of 100 instances is a 320 KB document, and writing
it took 68 ms of a 246 ms call (the DRS emulator's RunInstances of a 100-server job writes the same
instances). :func:`unparse` writes the same bytes in one pass over the dicts.

It covers what moto's serializers produce, unpretty: elements named by plain names, text, ``@``
attributes, ``None`` as an empty element, lists as repeated elements (an empty list as none), and
booleans, numbers and bytes written as xmltodict writes them. Anything else (pretty printing, an
output stream, comments, namespaces, a name xmltodict would check more closely, another kind of
value) goes to ``xmltodict.unparse`` itself, so the answer is the same either way; a test compares
the two over generated documents and a real DescribeInstances answer.
"""

from __future__ import annotations

import re
from typing import Any

import xmltodict

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-:]*\Z")  # a name xmltodict accepts as it is
_TEXT = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_ATTRIBUTE = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\n": "&#10;", "\r": "&#13;",
                            "\t": "&#9;"})


class _Unsupported(Exception):
    """A document this writer leaves to xmltodict."""


def unparse(input_dict: Any, output: Any = None, encoding: str = "utf-8", full_document: bool = True,
            short_empty_elements: bool = False, **kwargs: Any) -> Any:
    """``xmltodict.unparse``, the same answer; unpretty documents without extras written here."""
    if output is None and encoding == "utf-8" and not kwargs.get("pretty") and set(kwargs) <= {"pretty"}:
        try:
            return _document(input_dict, full_document, short_empty_elements)
        except _Unsupported:
            pass
    return xmltodict.unparse(input_dict, output, encoding, full_document, short_empty_elements, **kwargs)


def _document(root: Any, full_document: bool, short: bool) -> str:
    if not isinstance(root, dict) or (full_document and len(root) != 1):
        raise _Unsupported  # xmltodict's own refusals (no root, several roots) are its to make
    out = _Writer(short)
    if full_document:
        out.parts.append('<?xml version="1.0" encoding="utf-8"?>\n')
    for key, value in root.items():
        if full_document and isinstance(value, list | tuple) and len(value) != 1:
            raise _Unsupported
        _element(out, key, value)
    return "".join(out.parts)


class _Writer:
    """What ``XMLGenerator`` writes for start, text and end: with short empty elements, a start
    tag stays open until text or a child follows (``>``), or the end closes it (``/>``)."""

    def __init__(self, short: bool) -> None:
        self.parts: list[str] = []
        self.short = short
        self.pending = False

    def start(self, name: str, attributes: str) -> None:
        if self.pending:
            self.parts.append(">")
        self.parts.append("<" + name + attributes)
        self.pending = self.short
        if not self.short:
            self.parts.append(">")

    def text(self, text: str) -> None:
        if text:
            if self.pending:
                self.parts.append(">")
                self.pending = False
            self.parts.append(text.translate(_TEXT))

    def end(self, name: str) -> None:
        if self.pending:
            self.parts.append("/>")
            self.pending = False
        else:
            self.parts.append("</" + name + ">")


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    raise _Unsupported


def _element(out: _Writer, key: Any, value: Any) -> None:
    """xmltodict's ``_emit`` for what it covers: each item of a list is an element of its own;
    children first, then the element's text."""
    if not isinstance(key, str) or not _NAME.match(key):
        raise _Unsupported
    for item in value if isinstance(value, list | tuple) else (value,):
        if item is None:
            item = {}
        elif not isinstance(item, dict):
            item = {"#text": _text(item)}
        text: str | None = None
        attributes: list[str] = []
        children: list[tuple[Any, Any]] = []
        for child_key, child in item.items():
            if child_key == "#text":
                text = None if child is None else _text(child)
            elif isinstance(child_key, str) and child_key.startswith("@"):
                name = child_key[1:]
                if not _NAME.match(name) or name == "xmlns" and isinstance(child, dict):
                    raise _Unsupported
                attributes.append(_attribute(name, "" if child is None else _text(child)))
            elif not (isinstance(child, list) and not child):  # an empty list writes nothing
                children.append((child_key, child))
        out.start(key, "".join(attributes))
        for child_key, child in children:
            _element(out, child_key, child)
        if text is not None:
            out.text(text)
        out.end(key)


def _attribute(name: str, value: str) -> str:
    """`` name="value"`` as ``xml.sax.saxutils.quoteattr`` quotes it."""
    value = value.translate(_ATTRIBUTE)
    if '"' in value:
        value = "'" + value + "'" if "'" not in value else '"' + value.replace('"', "&quot;") + '"'
    else:
        value = '"' + value + '"'
    return " " + name + "=" + value


def apply() -> None:
    """moto's serializers write through :func:`unparse` (they call ``xmltodict.unparse`` by module)."""
    from moto.core import serialize

    class _Xmltodict:
        def __getattr__(self, attr: str) -> Any:
            return getattr(xmltodict, attr)

        unparse = staticmethod(unparse)

    setattr(serialize, "xmltodict", _Xmltodict())  # noqa: B010 - moto's module attribute, not ours
