"""Patches that only make moto 5.2.5 faster: the same answers, without costs that grew with a
session's data or that every request paid again. Applied by :func:`drs_local.moto_patches.apply`.

1. A DynamoDB Query of a table's own key reads that partition only (moto sorted every item of the
   table for each query, so reads slowed down as a session's tables grew), and of that partition
   only the items its sort-key condition, start key and limit select (a page of 100 of an
   execution's 4,000 servers sorted, measured and checked all 4,000). Index queries unchanged.
2. EC2 lookups by exact id (instances, their tags, an image, a volume) read by key instead of
   scanning the region: a launch's cost no longer grows with the region's instances and images.
3. The server finds a request's service once per host, not by listing moto's modules and matching
   every URL pattern for each request under its dispatch lock.
4. A DynamoDB answer that is plain JSON (every item answer: attribute values are strings, numbers,
   booleans, lists and maps) is written with ``json.dumps``; moto walked the operation's output
   shape attribute by attribute, a third of a 100-server tick's DynamoDB time. Answers holding
   binary values or timestamps (bytes and datetimes are not JSON) keep moto's serializer.
5. A response class's action names are listed once, not with ``inspect.getmembers`` per request.
6. moto's serializer finds the attribute behind each member of an output shape by asking six alias
   rules, for every member of every object (1,300 members in one instance of DescribeInstances);
   their answer depends only on the object's class, the member's name and the shapes involved, so
   it is worked out once for each of those.
7. An item's size (moto checks DynamoDB's 400 KB limit) is counted over the stored values as they
   are. moto rebuilt every nested map and list to measure it, and measured the whole item again for
   each attribute it set: storing a 100-server job item, or setting one of its attributes, walked
   its 100 server maps once per attribute. The same sizes, and an item over the limit is refused
   as before: a new item is measured once when all its attributes are in (its size only grows while
   they are added, so the last total is the largest).
8. A service's backend for an account that already has one is handed out directly: moto took its
   global backend lock and compared the service with every backend in use, for each lookup.
9. An UpdateItem does not copy the item for nothing. moto deep-copied it twice before each update:
   once for the table's stream (our tables have none) and once to answer with its old attributes
   (``ReturnValues`` ALL_OLD, UPDATED_OLD or UPDATED_NEW). Tables with a stream, and updates that
   answer with old attributes, still get their copies. A small update of a 100-server job item
   measured 19-22 ms with them, 10-14 ms without (three runs each, moto in-process). An update that
   answers NONE is not turned into JSON after it either (moto deep-copied every map of the item to
   drop the result): the engine's job writes and META commits answer NONE.
10. A projection (``ProjectionExpression``) converts each attribute it names, not the whole item
   once per name: the locks' query of an execution's jobs (eight attributes of 100-server job
   items) converted every job item eight times over.
11. moto's serializer asks, for each member of every object it writes, which of the service's answer
   transformers applies (a suffix test against each of EC2's twenty); the answer depends only on the
   member's path, so each serializer works it out once per path. One DescribeInstances of 100
   instances made some 275,000 suffix tests; with this and 12 it took 219-235 ms of CPU instead of
   241-296 (three calls each, moto in-process, client included).
12. An XML answer's element names are checked once each (xmltodict checked every name of every
   element it wrote; the names come from the service models and repeat). A name it refuses is
   refused as before.
13. A DynamoDB request whose JSON holds no binary value is read with ``json.loads``: moto parsed
   every request member by member against the operation's input shape, to turn base64 into bytes
   and timestamps into datetimes, and for everything else built the same dict that ``json.loads``
   does (15% of a batch write of server items). Requests with a binary value (a ``"B"`` or
   ``"BS"`` token), operations whose input has a timestamp, and bodies that are not JSON keep
   moto's parser.
14. An XML answer is written in one pass over moto's dicts (:mod:`drs_local.moto_xml`), not through
   xmltodict and the SAX generator an element at a time: writing DescribeInstances of 100
   instances (320 KB) took 16-18 ms instead of 45-67. The same bytes; what that writer does not
   cover goes to xmltodict.
15. Step Functions' JSONPaths are parsed once per text (:mod:`drs_local.moto_paths`): moto's
   interpreter built a new jsonpath_ng parser, yacc tables included, for each path it evaluated.
16. DynamoDB update expressions are parsed once per text (:mod:`drs_local.moto_expressions`): moto
   parsed each UpdateItem's expression twice per request.

These touch moto internals; the exact moto pin in pyproject.toml is what keeps them valid.
"""

from __future__ import annotations

import functools
import json
import threading
from typing import Any

from drs_local import moto_expressions, moto_paths, moto_xml


def apply() -> None:
    _partition_queries()
    _instance_lookup_by_id()
    _dispatch_by_host_once()
    _plain_json_dynamodb_answers()
    _action_names_once()
    _member_aliases_once()
    _item_sizes_without_copies()
    _account_backends_directly()
    _update_without_unused_copies()
    _projections_by_attribute()
    _transformers_once_per_path()
    _xml_names_checked_once()
    _plain_json_dynamodb_requests()
    moto_xml.apply()
    moto_paths.apply()
    moto_expressions.apply()


def _partition_queries() -> None:
    from functools import wraps

    from moto.dynamodb.comparisons import get_comparison_func
    from moto.dynamodb.models.table import Table

    hint = threading.local()
    original_query = Table.query
    original_all_items = Table.all_items

    @wraps(original_query)
    def query(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
        if index_name or hash_key is None:
            return original_query(self, hash_key, *args, **kwargs)
        named = dict(zip(("range_comparison", "range_objs", "limit", "exclusive_start_key", "scan_index_forward"),
                         args, strict=False))
        hint.partition = (self, hash_key, {**named, **{k: kwargs[k] for k in named.keys() & kwargs.keys()}})
        try:
            return original_query(self, hash_key, *args, **kwargs)
        finally:
            hint.partition = None

    def in_key_order(self: Any, items: list[Any], query: dict[str, Any]) -> list[Any]:
        """The items the query's key condition selects, in key order, from its start key on, and at
        most one past its limit: moto sorts, checks the sort-key condition and the start key and
        measures the size of every item of the partition, and deep-copies the ones it keeps; it makes
        the same checks again on these (string sort keys; otherwise it is left to do all of them)."""
        keys = [item.range_key for item in items]
        bounds = query.get("range_objs") or []
        if any(k is None or k.type != "S" for k in keys) or any(b.type != "S" for b in bounds):
            return items
        comparison = query.get("range_comparison")
        if comparison:
            test = get_comparison_func(comparison)
            values = [b.value for b in bounds]
            items = [i for i in items if test(i.range_key.value, *values)]
        items.sort(key=lambda i: i.range_key.value)
        forward = query.get("scan_index_forward") is not False
        start = ((query.get("exclusive_start_key") or {}).get(self.range_key_attr) or {}).get("S")
        if start is not None:
            items = [i for i in items if (i.range_key.value > start if forward else i.range_key.value < start)]
        limit = query.get("limit")
        if isinstance(limit, int) and limit >= 0:
            items = items[:limit + 1] if forward else items[max(len(items) - limit - 1, 0):]
        return items

    @wraps(original_all_items)
    def all_items(self: Any) -> Any:
        partition = getattr(hint, "partition", None)
        if partition is None or partition[0] is not self:
            return original_all_items(self)
        found = self.items.get(partition[1])
        if found is None:
            return []
        return in_key_order(self, list(found.values()), partition[2]) if self.range_key_attr else [found]

    Table.query = query  # type: ignore[method-assign]
    Table.all_items = all_items  # type: ignore[method-assign]


def _instance_lookup_by_id() -> None:
    """moto finds one instance by copying every reservation and scanning them (``get_instance``,
    ``get_instance_by_id``: CreateTags on 100 recovery instances in a region holding 4,000 is 400,000
    reservation copies, seconds of a tick), and a resource's tags by scanning every tag of the
    region. Same answers, found without the copies and the scans."""
    import copy

    from moto.ec2.exceptions import InvalidInstanceIdError
    from moto.ec2.models.instances import InstanceBackend
    from moto.ec2.utils import filter_reservations

    def get_instance_by_id(self: Any, instance_id: str) -> Any:
        # An index of the backend's instances (id -> reservation, instance), checked against the
        # reservations at each hit; a miss scans the newest reservations first (a new instance is
        # looked up as it is launched) and indexes what it passes.
        index: dict[str, tuple[Any, Any]] = self.__dict__.setdefault("_drs_local_instances", {})
        hit = index.get(instance_id)
        if hit is not None:
            reservation, instance = hit
            if self.reservations.get(reservation.id) is reservation and instance in reservation.instances:
                return instance
            index.pop(instance_id, None)
        for reservation in reversed(self.reservations.values()):  # no copy of every reservation per miss
            for instance in reservation.instances:
                index[instance.id] = (reservation, instance)
                if instance.id == instance_id:
                    return instance
        return None

    def get_instance(self: Any, instance_id: str) -> Any:
        instance = get_instance_by_id(self, instance_id)
        if instance is None:
            raise InvalidInstanceIdError(instance_id)
        return instance

    def get_reservations_by_instance_ids(self: Any, instance_ids: list[str], filters: Any = None) -> Any:
        # DescribeInstances of 100 ids in a region of 4,000 instances: 4,000 reservation copies and
        # 400,000 list lookups; the matching reservations only are copied here, ids found in a set.
        wanted = set(instance_ids)
        reservations = []
        for reservation in list(self.reservations.values()):
            mine = [instance for instance in reservation.instances if instance.id in wanted]
            if mine:
                found = copy.copy(reservation)
                found.instances = mine
                reservations.append(found)
        seen = [instance.id for reservation in reservations for instance in reservation.instances]
        if len(seen) != len(instance_ids):
            raise InvalidInstanceIdError(sorted(wanted.difference(seen))[0] if wanted.difference(seen)
                                         else instance_ids[0])
        return filter_reservations(reservations, filters) if filters is not None else reservations

    def get_multi_instances_by_id(self: Any, instance_ids: list[str], filters: Any = None) -> Any:
        wanted = set(instance_ids)
        known = {instance.id: instance for reservation in list(self.reservations.values())
                 for instance in reservation.instances if instance.id in wanted}
        missing = [i for i in instance_ids if i not in known]
        if missing:
            raise InvalidInstanceIdError(missing)
        return [known[i] for i in instance_ids if known[i].applies(filters)]

    InstanceBackend.get_instance_by_id = get_instance_by_id  # type: ignore[method-assign]
    InstanceBackend.get_instance = get_instance  # type: ignore[method-assign]
    InstanceBackend.get_reservations_by_instance_ids = get_reservations_by_instance_ids  # type: ignore[method-assign]
    InstanceBackend.get_multi_instances_by_id = get_multi_instances_by_id  # type: ignore[method-assign]

    # Every resource's own tags (DescribeInstances asks once per instance) were found by matching
    # a pattern against every tag of every resource in the region: read them by key instead.
    from moto.ec2.models.core import TaggedEC2Resource
    from moto.ec2.utils import EC2_PREFIX_TO_RESOURCE, get_prefix

    def get_tags(self: Any) -> list[dict[str, str]]:
        if not self.id:
            return []
        kind = EC2_PREFIX_TO_RESOURCE.get(get_prefix(self.id), "")
        return [{"resource_id": self.id, "key": key, "value": value, "resource_type": kind}
                for key, value in dict(self.ec2_backend.tags.get(self.id) or {}).items()]

    TaggedEC2Resource.get_tags = get_tags  # type: ignore[method-assign]

    # Each new instance looked its image up by matching an "image-id" filter against every image
    # of the region (hundreds of default AMIs, fnmatch each), and each volume by copying the
    # region's volumes: two thirds of a recovery instance's launch. Exact ids are read by key.
    from moto.ec2.exceptions import InvalidVolumeIdError
    from moto.ec2.models.amis import AmiBackend
    from moto.ec2.models.elastic_block_store import EBSBackend

    describe_images = AmiBackend.describe_images
    describe_volumes = EBSBackend.describe_volumes

    def images_by_id(self: Any, ami_ids: Any = None, filters: Any = None, exec_users: Any = None,
                     owners: Any = None) -> Any:
        wanted = (filters or {}).get("image-id")
        if (not ami_ids and not exec_users and not owners and filters and list(filters) == ["image-id"]
                and isinstance(wanted, str) and not any(c in wanted for c in "*?[")):
            found = self.amis.get(wanted)
            return [found] if found is not None else []
        return describe_images(self, ami_ids=ami_ids, filters=filters, exec_users=exec_users, owners=owners)

    def volumes_by_id(self: Any, volume_ids: Any = None, filters: Any = None) -> Any:
        if volume_ids and len(volume_ids) == 1 and not filters:
            found = self.volumes.get(volume_ids[0])
            if found is None:
                raise InvalidVolumeIdError(set(volume_ids))
            return [found]
        return describe_volumes(self, volume_ids=volume_ids, filters=filters)

    AmiBackend.describe_images = images_by_id  # type: ignore[method-assign]
    EBSBackend.describe_volumes = volumes_by_id  # type: ignore[method-assign]


def _dispatch_by_host_once() -> None:
    """moto's server finds the service of every request under one lock by listing its package
    directory (a stat per service module) and then trying each service's URL patterns: the same
    answer for a host each time, paid by every request while all others wait. Found once per host."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    original = DomainDispatcherApplication.get_backend_for_host
    found: dict[str, Any] = {}

    def get_backend_for_host(self: Any, host: str | None) -> Any:
        if host is None:
            return None
        if host not in found:
            found[host] = original(self, host)
        return found[host]

    DomainDispatcherApplication.get_backend_for_host = get_backend_for_host  # type: ignore[method-assign]


def _plain_json_dynamodb_answers() -> None:
    from moto.dynamodb.responses import DynamoResult

    original = DynamoResult.execute_result

    def execute_result(self: Any, context: Any) -> Any:
        try:
            body = json.dumps(self.result, separators=(",", ":"))
        except (TypeError, ValueError):  # bytes or datetimes: moto's serializer encodes them
            return original(self, context)
        if "null" in body:  # moto leaves a member out when it is None; so does its serializer
            return original(self, context)
        return 200, {"Content-Type": "application/x-amz-json-1.0"}, body

    DynamoResult.execute_result = execute_result  # type: ignore[method-assign]


def _action_names_once() -> None:
    import functools

    from moto.core import responses

    names = functools.cache(responses.method_names_from_class)  # type: ignore[attr-defined]
    responses.method_names_from_class = names  # type: ignore[attr-defined]


def _member_aliases_once() -> None:
    from moto.core.serialize import XFormedAttributePicker

    original = XFormedAttributePicker.get_possible_keys
    found: dict[tuple[Any, ...], tuple[str, ...]] = {}

    def shape_key(shape: Any) -> tuple[Any, ...] | None:
        # a shape's definition dict lives as long as its service model (moto caches those)
        return None if shape is None else (shape.name, id(getattr(shape, "_shape_model", None)))

    def get_possible_keys(self: Any, context: Any) -> Any:
        parent = getattr(context.shape, "parent", None)
        key = (type(self), tuple(self.alias_providers), type(context.obj), context.key,
               shape_key(context.shape), shape_key(parent))
        keys = found.get(key)
        if keys is None:
            keys = found[key] = tuple(original(self, context))
        return keys

    XFormedAttributePicker.get_possible_keys = get_possible_keys  # type: ignore[method-assign]


def _item_sizes_without_copies() -> None:
    from moto.dynamodb.exceptions import ItemSizeTooLarge
    from moto.dynamodb.models import dynamo_type
    from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict
    from moto.dynamodb.models.utilities import bytesize

    limit = 405000  # moto's own figure (dynamo_type.LimitedSizeDict)

    def value_size(kind: str, value: Any) -> int:
        """``DynamoType({kind: value}).size()``, without building the DynamoType tree again."""
        if kind == "N":
            return len(str(value))
        if kind in ("SS", "NS", "BS"):
            return sum(value_size(kind[0], v) for v in value)
        if kind == "L":
            return sum(size(v) for v in value)
        if kind == "M":
            return sum(bytesize(k) + size(v) for k, v in value.items())
        if isinstance(value, bool):
            return 1
        return bytesize(value)

    def size(value: Any) -> int:
        if type(value) is not DynamoType:
            value = DynamoType(value)
        return value_size(value.type, value.value)

    def dynamo_size(self: Any) -> int:
        return value_size(self.type, self.value)

    def entry_size(key: Any, value: Any) -> int:
        return bytesize(str(key)) + (size(value) if type(value) is DynamoType else bytesize(str(value)))

    def setitem(self: Any, key: str, value: Any) -> None:
        current = sum(entry_size(k, v) for k, v in self.items())
        if current + entry_size(key, value) > limit:
            raise ItemSizeTooLarge
        dict.__setitem__(self, key, value)

    def item_init(self: Any, hash_key: Any, range_key: Any, attrs: dict[str, Any]) -> None:
        self.hash_key = hash_key
        self.range_key = range_key
        self.attrs = LimitedSizeDict.__new__(LimitedSizeDict)
        dict.__init__(self.attrs)
        total = 0
        for key, value in attrs.items():
            typed = DynamoType(value)
            total += entry_size(key, typed)
            dict.__setitem__(self.attrs, key, typed)
        if total > limit:
            raise ItemSizeTooLarge

    assert dynamo_type.LimitedSizeDict is LimitedSizeDict
    DynamoType.unpatched_size = DynamoType.size  # type: ignore[attr-defined]  # kept for the tests
    DynamoType.size = dynamo_size  # type: ignore[method-assign]
    LimitedSizeDict.__setitem__ = setitem  # type: ignore[method-assign]
    Item.__init__ = item_init  # type: ignore[method-assign]


def _account_backends_directly() -> None:
    from moto.core.base_backend import BackendDict

    original = BackendDict.__getitem__

    def getitem(self: Any, account_id: str) -> Any:
        # moto adds an account's backend and registers the service in the same call, and its reset
        # clears both: an account present here is registered.
        if dict.__contains__(self, account_id):
            return dict.__getitem__(self, account_id)
        return original(self, account_id)

    BackendDict.__getitem__ = getitem  # type: ignore[method-assign]


def _update_without_unused_copies() -> None:
    from moto.dynamodb import models as dynamodb_models
    from moto.dynamodb import responses as dynamodb_responses
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.dynamo_type import Item
    from moto.dynamodb.responses import DynamoHandler

    unused = threading.local()  # skipped: what the update in this thread will not read ("stream", "old", "answer")

    class _Copies:
        """``copy`` for one of moto's DynamoDB modules: an item's deep copy that the update in this
        thread does not read is the item itself; anything else is copied by ``base``."""

        def __init__(self, base: Any, reason: str) -> None:
            self._base = base
            self._reason = reason

        def __getattr__(self, attr: str) -> Any:
            return getattr(self._base, attr)

        def deepcopy(self, value: Any, memo: Any = None) -> Any:
            if isinstance(value, Item) and self._reason in getattr(unused, "skipped", ()):
                return None if self._reason == "old" else value
            return self._base.deepcopy(value, memo)

    dynamodb_models.copy = _Copies(dynamodb_models.copy, "stream")  # type: ignore[attr-defined,assignment]
    dynamodb_responses.copy = _Copies(dynamodb_responses.copy, "old")  # type: ignore[attr-defined,assignment]

    original_update = DynamoDBBackend.update_item
    original_handler = DynamoHandler.update_item

    class _Unread:
        """The updated item as the handler of an update answering NONE sees it: the handler turns
        the item into JSON (deep-copying every map) only to drop it from the answer."""

        def __init__(self, item: Any) -> None:
            self._item = item

        def __getattr__(self, attr: str) -> Any:
            return getattr(self._item, attr)

        @staticmethod
        def to_json(root_attr_name: str = "Attributes") -> dict[str, Any]:
            return {root_attr_name: {}}

    @functools.wraps(original_update)
    def update_item(self: Any, table_name: str, *args: Any, **kwargs: Any) -> Any:
        table = self.tables.get(table_name)
        before = getattr(unused, "skipped", ())
        unused.skipped = (*before, "stream") if table is not None and table.stream_shard is None else before
        try:
            item = original_update(self, table_name, *args, **kwargs)
        finally:
            unused.skipped = before
        return _Unread(item) if "answer" in before else item

    @functools.wraps(original_handler)
    def handle_update(self: Any) -> Any:
        # the old item answers ALL_OLD and the UPDATED_ ones; NONE and ALL_NEW never read it, and
        # NONE does not read the new one either
        returning = self.body.get("ReturnValues", "NONE")
        unused.skipped = ("old", "answer") if returning == "NONE" else ("old",) if returning == "ALL_NEW" else ()
        try:
            return original_handler(self)
        finally:
            unused.skipped = ()

    DynamoDBBackend.update_item = update_item  # type: ignore[method-assign]
    DynamoHandler.update_item = handle_update  # type: ignore[method-assign]


def _projections_by_attribute() -> None:
    import re

    from botocore.utils import merge_dicts
    from moto.dynamodb.models.dynamo_type import Item, deserializer, serializer
    from moto.dynamodb.models.utilities import find_nested_key

    list_element = re.compile(r"(.+)\[(\d+)\]$")  # 'name[2]', as find_nested_key reads a path's head

    def project(self: Any, projection_expressions: list[list[str]]) -> Any:
        result: dict[str, Any] = {}
        for path in projection_expressions:
            element = list_element.match(path[0])
            name = element.group(1) if element else path[0]
            attribute = self.attrs.get(name)
            if attribute is None:  # the path names nothing: it adds nothing
                continue
            # a fresh copy of the named attribute for each path, as the whole item was
            merge_dicts(result, find_nested_key(path, {name: deserializer.deserialize(attribute.to_regular_json())}))
        return Item(hash_key=self.hash_key, range_key=self.range_key, attrs=serializer.serialize(result)["M"])

    Item.unpatched_project = Item.project  # type: ignore[attr-defined]  # kept for the tests
    Item.project = project  # type: ignore[method-assign]


def _transformers_once_per_path() -> None:
    from moto.core.constants import MISSING
    from moto.core.serialize import AttributePicker
    from moto.core.utils import get_value

    def call(self: Any, context: Any) -> Any:
        """moto's ``AttributePicker.__call__``, with the transformer of a path found once per picker
        (a picker serves one answer, and moto may add transformers to a response class later)."""
        obj = context.obj
        value = None
        for possible_key in self.get_possible_keys(context):
            found = get_value(obj, possible_key, MISSING)
            if found is not MISSING:
                value = found
                break
        transformers = self.response_transformers
        if transformers:
            key_path = f"{context.key_path}.{context.key}"
            chosen = self.__dict__.get("_transformer_of_path")
            if chosen is None:
                chosen = self._transformer_of_path = {}
            if key_path not in chosen:
                chosen[key_path] = next((t for path, t in transformers.items() if key_path.endswith(path)), None)
            transform = chosen[key_path]
            if transform is not None:
                value = transform(value)
        return value

    AttributePicker.unpatched_call = AttributePicker.__call__  # type: ignore[attr-defined]  # kept for the tests
    AttributePicker.__call__ = call  # type: ignore[method-assign]


def _xml_names_checked_once() -> None:
    import xmltodict

    original = getattr(xmltodict, "_validate_name", None)
    if original is None:  # an xmltodict that does not check names
        return
    checked = functools.lru_cache(maxsize=4096)(original)  # raises are not cached: refused every time

    def validate_name(value: Any, kind: str) -> None:
        if type(value) is str:
            return checked(value, kind)  # type: ignore[no-any-return]
        return original(value, kind)  # type: ignore[no-any-return]

    validate_name.unpatched = original  # type: ignore[attr-defined]  # kept for the tests
    xmltodict._validate_name = validate_name


def _plain_json_dynamodb_requests() -> None:
    from moto.core.utils import get_service_model
    from moto.dynamodb.responses import DynamoHandler

    original = DynamoHandler.parse_parameters
    json_types = ("application/x-amz-json-1.0", "application/x-amz-json-1.1")

    @functools.cache
    def has_timestamp(action: str) -> bool:
        shape = get_service_model("dynamodb").operation_model(action).input_shape
        seen: set[str] = set()

        def walk(node: Any) -> bool:
            if node is None or node.name in seen:
                return False
            seen.add(node.name)
            if node.type_name == "timestamp":
                return True
            children = [*getattr(node, "members", {}).values(), getattr(node, "member", None),
                        getattr(node, "key", None), getattr(node, "value", None)]
            return any(walk(child) for child in children)

        return walk(shape)

    def parse_parameters(self: Any, request: Any) -> None:
        body = request.data
        if (request.content_type in json_types and body and b'"B"' not in body and b'"BS"' not in body
                and not has_timestamp(self._get_action())):
            try:
                self.params = json.loads(body)
                return
            except ValueError:  # not JSON: moto's parser decides what it reads (it reads {})
                pass
        original(self, request)

    DynamoHandler.unpatched_parse_parameters = original  # type: ignore[attr-defined]  # kept for the tests
    DynamoHandler.parse_parameters = parse_parameters  # type: ignore[method-assign]
