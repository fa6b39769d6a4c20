"""moto's XML answers written in one pass (drs_local/moto_xml.py, patch 14) are the bytes
``xmltodict.unparse`` writes: over generated documents (text that needs escaping, attributes with
quotes, empty elements, lists, numbers and booleans, values it leaves to xmltodict), and over the
local stack's real DescribeInstances answer of 100 instances, whose raw XML is compared with and
without the patch."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
import xmltodict
from hypothesis import given, settings
from hypothesis import strategies as st
from moto.core import serialize

from drs_local import moto_xml
from drs_local.stack import ACCESS_KEY, SECRET_KEY

pytestmark = pytest.mark.integration

REGION = "eu-south-1"  # a region no other test launches in
NAMES = st.sampled_from(["Item", "instanceId", "a", "b.c", "x-y", "ns:tag", "_u"])
ODD_NAMES = st.sampled_from(["1bad", "bad name", "#comment", "a/b"])  # xmltodict's to check or refuse
TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=8) | st.sampled_from(
    ["", "a&b", "<x>", "'", '"', "'\"", "\n\t\r", "&amp;", "a\tb\"c"])
SCALARS = st.one_of(TEXT, st.none(), st.booleans(), st.integers(-5, 5), st.floats(allow_nan=False, width=16))
ODD_SCALARS = st.one_of(st.binary(max_size=3), st.sets(st.integers(0, 2), max_size=2))
KEYS = st.one_of(NAMES, NAMES.map(lambda n: "@" + n), st.just("#text"))
ODD_KEYS = st.one_of(ODD_NAMES, st.just("@xmlns"), ODD_NAMES.map(lambda n: "@" + n))


def _values(keys: st.SearchStrategy[str], scalars: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.recursive(scalars, lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.tuples(inner), st.dictionaries(keys, inner, max_size=4)), max_leaves=12)


def _elements(scalars: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Elements as moto's serializers build them: children by name, text and attributes scalar."""
    marks = st.dictionaries(NAMES.map(lambda n: "@" + n) | st.just("#text"), scalars, max_size=2)
    element = st.recursive(scalars, lambda inner: st.tuples(
        st.dictionaries(NAMES, _repeated(inner), max_size=3), marks).map(lambda p: {**p[0], **p[1]}), max_leaves=12)
    return _repeated(element)


def _repeated(element: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """An element, or a list of them (repeated elements; an empty list is none)."""
    return st.one_of(element, st.lists(element, max_size=3), st.tuples(element))


COVERED = _elements(SCALARS)  # what moto's serializers write: the one-pass writer's
ANY = _values(KEYS | ODD_KEYS, SCALARS | ODD_SCALARS)  # and more, some of it left to xmltodict


def _written(fn: Any, *args: Any, **kwargs: Any) -> tuple[str, Any]:
    try:
        return "ok", fn(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - a refusal must be the same refusal
        return "refused", (type(exc), str(exc))


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(NAMES, COVERED, min_size=1, max_size=2), st.booleans())
def test_a_document_moto_could_write_is_written_in_one_pass_as_xmltodict_writes_it(
        document: dict[str, Any], short: bool) -> None:
    expected = xmltodict.unparse(document, full_document=False, short_empty_elements=short, pretty=False)
    assert moto_xml._document(document, False, short) == expected  # not left to xmltodict
    single = dict([next(iter(document.items()))])
    if not isinstance(single[next(iter(single))], list | tuple):
        assert moto_xml._document(single, True, short) == xmltodict.unparse(
            single, full_document=True, short_empty_elements=short, pretty=False)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(NAMES | ODD_NAMES, ANY, max_size=2), st.booleans(), st.booleans())
def test_any_document_is_written_or_refused_as_xmltodict_does(document: dict[str, Any], full: bool,
                                                               short: bool) -> None:
    expected = _written(xmltodict.unparse, document, full_document=full, short_empty_elements=short, pretty=False)
    assert _written(moto_xml.unparse, document, full_document=full, short_empty_elements=short,
                    pretty=False) == expected


def test_moto_answers_describe_instances_with_the_same_bytes(stack: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    assert serialize.xmltodict.unparse is moto_xml.unparse  # moto writes through the one-pass writer
    ec2 = boto3.client("ec2", region_name=REGION, endpoint_url=stack.moto_url, aws_access_key_id=ACCESS_KEY,
                       aws_secret_access_key=SECRET_KEY)
    image_id = ec2.describe_images()["Images"][0]["ImageId"]
    launched = ec2.run_instances(ImageId=image_id, MinCount=100, MaxCount=100, InstanceType="m5.large",
                                 TagSpecifications=[{"ResourceType": "instance",
                                                     "Tags": [{"Key": "Name", "Value": "a <b> & 'c'"}]}])
    ids = [i["InstanceId"] for i in launched["Instances"]]

    def raw() -> bytes:
        ec2.meta.events.register("after-call.ec2.DescribeInstances", keep)
        try:
            ec2.describe_instances(InstanceIds=ids)
        finally:
            ec2.meta.events.unregister("after-call.ec2.DescribeInstances", keep)
        return seen.pop()

    seen: list[bytes] = []

    def keep(http_response: Any, **_: Any) -> None:
        seen.append(http_response.content)

    written = raw()
    monkeypatch.setattr(serialize, "xmltodict", xmltodict)
    by_xmltodict = raw()
    assert len(written) > 300_000 and written.count(b"<instanceId>") >= 100
    assert _without_request_id(written) == _without_request_id(by_xmltodict)


def _without_request_id(body: bytes) -> bytes:
    head, _, rest = body.partition(b"<requestId>")
    return head + rest.partition(b"</requestId>")[2]
