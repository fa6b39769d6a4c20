"""moto's XML answers written straight to a string (patch 14 of :mod:`drs_local.moto_speed`).

moto's serializers build an answer as nested dicts and lists, then write it with
``xmltodict.unparse``, which goes through the SAX ``XMLGenerator`` an element at a time. For EC2 that
is most of an answer's cost: DescribeInstances of 100 instances is a 320 KB document, and writing
it took 45-67 ms of a 250 ms call (the DRS emulator's RunInstances of a 100-server job writes the
same instances). :func:`unparse` writes the same bytes in one pass over the dicts, in 16-18 ms
(the same answer, two runs of five each).

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
    parts: list[str] = ['<?xml version="1.0" encoding="utf-8"?>\n'] if full_document else []
    for key, value in root.items():
        if full_document and isinstance(value, list | tuple) and len(value) != 1:
            raise _Unsupported
        _element(parts, key, value, short)
    return "".join(parts)


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    raise _Unsupported


_NAMES: set[str] = set()  # names seen to be plain (the service models' names repeat)


def _element(parts: list[str], key: Any, value: Any, short: bool) -> None:
    """xmltodict's ``_emit`` for what it covers, with ``XMLGenerator``'s tags: each item of a list is
    an element of its own; its children in order, then its text; an element with neither is
    ``<name/>`` (``short``) or ``<name></name>``."""
    if key not in _NAMES:
        if not isinstance(key, str) or not _NAME.match(key):
            raise _Unsupported
        _NAMES.add(key)
    for item in value if type(value) is list or type(value) is tuple else (value,):
        if item is None:
            item = {}
        elif not isinstance(item, dict):
            content = _text(item)
            parts.append(f"<{key}>{content.translate(_TEXT)}</{key}>" if content else
                         f"<{key}/>" if short else f"<{key}></{key}>")
            continue
        at = len(parts)
        parts.append("")  # the start tag, once its attributes are known
        attributes = ""
        text: str | None = None
        for child_key, child in item.items():
            if child_key == "#text":
                text = None if child is None else _text(child)
            elif isinstance(child_key, str) and child_key[:1] == "@":
                name = child_key[1:]
                if not _NAME.match(name) or name == "xmlns" and isinstance(child, dict):
                    raise _Unsupported
                attributes += _attribute(name, "" if child is None else _text(child))
            elif not (type(child) is list and not child):  # an empty list writes nothing
                _element(parts, child_key, child, short)
        if text:
            parts.append(text.translate(_TEXT))
        if len(parts) > at + 1:
            parts[at] = f"<{key}{attributes}>"
            parts.append(f"</{key}>")
        else:
            parts[at] = f"<{key}{attributes}/>" if short else f"<{key}{attributes}></{key}>"


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
