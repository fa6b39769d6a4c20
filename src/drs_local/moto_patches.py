"""Patches that make moto 5.2.5 (pinned exactly) run our stack without Docker.

1. Lambda functions run in-process: moto keeps its real function registry, error headers and the
   Step Functions error mapping; only the Docker call is replaced by importing the function's
   ``Handler`` ("package.module.function" or "package.module" with a ``handler`` attribute) from
   our source tree.
2. State machines created by CloudFormation land in the executing (ASL interpreter) backend.
3. Wait states and Retry intervals are divided by the stack's time scale, so a 30 s poll interval
   at speed 60 takes half a second, in step with the DRS emulator clock.
4. DynamoDB requests are serialized per table (a request naming several tables takes their locks
   in name order). moto checks a condition and then writes without a lock, and a cancelled
   transaction restores a deep copy of the whole table taken before it ran, undoing the writes
   other threads committed meanwhile. DynamoDB itself is linearizable per item and its
   transactions are serializable; the locked requests give the threaded server those semantics.
   Under that lock a transaction saves only the items it touches (instead of deep-copying every
   table it names, which made each transaction cost O(table size)) and restores them if cancelled.
5. A DynamoDB Query of a table's own key reads that partition only (moto sorted every item of the
   table for each query, so reads slowed down as a session's tables grew). Index queries unchanged.
6. EventBridge rules deliver to Lambda targets (asynchronously, in a thread, as EventBridge invokes
   functions), and an event forwarded to another account's or region's bus keeps its ``account``,
   ``region``, ``time`` and ``resources`` (moto re-put it as a new event of the receiving account).
7. Task timeouts (``TimeoutSeconds``/``TimeoutSecondsPath``, e.g. a ``waitForTaskToken`` task) are
   divided by the time scale like Wait states.
8. EC2 lookups by exact id (instances, their tags, an image, a volume) read by key instead of
   scanning the region (``_instance_lookup_by_id``): same answers, without a launch's cost growing
   with the region's instances and images.
9. The server finds a request's service once per host, not by listing moto's modules and
   matching every URL pattern for each request under its dispatch lock.
10. ``Invoke`` with ``InvocationType=Event`` answers 202 at once and runs the function in a thread,
    as Lambda queues asynchronous invocations (moto ran it before answering).
    :func:`refuse_async_invocations` makes them fail instead (as when the caller may not invoke the
    function), for tests of what a caller does when its background run cannot be queued.

These touch moto internals; the exact moto pin in pyproject.toml is what keeps them valid.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import logging
import threading
import time
import traceback
import uuid
from collections.abc import Iterable, Iterator
from typing import Any

log = logging.getLogger("drs_local")

_applied = False
_speed = 1.0
_lock = threading.Lock()


class LocalLambdaContext:
    """The subset of the Lambda context object our handlers and Powertools read."""

    def __init__(self, fn: Any) -> None:
        self.function_name = fn.function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = fn.function_arn
        self.memory_limit_in_mb = int(fn.memory_size or 128)
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{fn.function_name}"
        self.log_stream_name = "local"
        self._deadline = time.monotonic() + float(fn.timeout or 3)

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def _import_handler(spec: str) -> Any:
    """Resolve a Lambda ``Handler`` setting ("package.module.function") the way the runtime does."""
    module_name, _, function_name = spec.rpartition(".")
    return getattr(importlib.import_module(module_name), function_name)


def _invoke_in_process(self: Any, event: str | None = None) -> tuple[str, bool, str]:
    try:
        payload = json.loads(event) if isinstance(event, str | bytes) and event else (event or {})
    except (RecursionError, ValueError) as exc:  # the runtime cannot turn the payload into an event
        body = {"errorMessage": f"Unable to unmarshal input: {type(exc).__name__}",
                "errorType": "Runtime.UnmarshalError", "stackTrace": []}
        return json.dumps(body), True, ""
    try:
        fn = _import_handler(self.handler)
        result = fn(payload, LocalLambdaContext(self))
        return json.dumps(result, default=str), False, ""
    except Exception as exc:  # the Lambda runtime reports unhandled errors this way
        body = {
            "errorMessage": str(exc),
            "errorType": type(exc).__name__,
            "stackTrace": traceback.format_exception(exc)[-5:],
        }
        log.warning("lambda %s raised %s: %s", self.function_name, type(exc).__name__, exc)
        return json.dumps(body), True, ""


_refusal: tuple[str, int, str] | None = None


def refuse_async_invocations(code: str | None = "AccessDeniedException", status: int = 403,
                             message: str = "not authorized to perform: lambda:InvokeFunction") -> None:
    """Asynchronous invocations fail with ``code`` (HTTP ``status``) until called with ``code=None``."""
    global _refusal
    _refusal = (code, status, message) if code else None


def _async_invoke() -> None:
    from moto.awslambda import models as lambda_models
    from moto.awslambda.exceptions import LambdaClientError

    original = lambda_models.LambdaFunction.invoke

    class _Refused(LambdaClientError):
        def __init__(self, code: str, status: int, message: str) -> None:
            super().__init__(code, message)
            self.code = status

    def invoke(self: Any, body: str, request_headers: Any, response_headers: Any) -> str | bytes:
        if (request_headers.get("x-amz-invocation-type") or request_headers.get("X-Amz-Invocation-Type")) != "Event":
            return original(self, body, request_headers, response_headers)
        refusal = _refusal
        if refusal is not None:
            raise _Refused(*refusal)
        event = json.loads(body) if body else {}
        threading.Thread(target=self._invoke_lambda, kwargs={"event": event}, daemon=True,
                         name=f"lambda-async-{self.function_name}").start()
        return ""

    lambda_models.LambdaFunction.invoke = invoke  # type: ignore[method-assign]


def set_speed(speed: float) -> None:
    global _speed
    _speed = max(float(speed), 1e-6)


def scaled(seconds: float) -> float:
    return float(seconds) / _speed


def _create_change_sets_like_stacks() -> None:
    """moto 5.2.5 applies a CREATE change set as an update of an empty stack, which ignores the
    dependency order (an API Gateway deployment before its methods); CloudFormation creates the
    resources exactly as CreateStack does. Executing a CREATE change set does that here."""
    from moto.cloudformation import models as cfn_models

    original = cfn_models.CloudFormationBackend.execute_change_set

    def execute_change_set(self: Any, change_set_name: str, stack_name: str | None = None) -> None:
        change_set = self.change_sets.get(change_set_name) or next(
            (c for c in self.change_sets.values() if c.change_set_name == change_set_name), None)
        if change_set is None or change_set.change_set_type != "CREATE":
            return original(self, change_set_name, stack_name)
        stack = self.stacks[change_set.stack_id]
        stack.template, stack.parameters = change_set.template, change_set.parameters
        stack._parse_template()
        stack.description = stack.template_dict.get("Description")
        stack.resource_map = stack._create_resource_map()
        stack.output_map = stack._create_output_map()
        stack._add_stack_event("CREATE_IN_PROGRESS", resource_status_reason="User Initiated")
        stack.create_resources()
        change_set.execution_status = "EXECUTE_COMPLETE"
        return None

    cfn_models.CloudFormationBackend.execute_change_set = execute_change_set  # type: ignore[method-assign]


def apply() -> None:
    """Apply the patches once per process (idempotent)."""
    global _applied
    with _lock:
        if _applied:
            return
        from moto.awslambda import models as lambda_models
        from moto.stepfunctions import models as sfn_models
        from moto.stepfunctions.parser import models as parser_models
        from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
        from moto.stepfunctions.parser.asl.component.state.wait.wait_function import wait_function

        from drs_local import moto_cloudfront

        lambda_models.LambdaFunction._invoke_lambda = _invoke_in_process  # type: ignore[method-assign]
        _async_invoke()
        _create_change_sets_like_stacks()
        moto_cloudfront.register()
        sfn_models.stepfunctions_backends = parser_models.stepfunctions_parser_backends  # type: ignore[assignment]

        def _wait_interval(self: Any, env: Any, wait_seconds: int) -> None:
            deadline = time.monotonic() + scaled(wait_seconds)
            while env.is_running():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return
                env.program_state_event.wait(remaining)

        wait_function.WaitFunction._wait_interval = _wait_interval  # type: ignore[method-assign]

        class _ScaledTime:
            def __getattr__(self, name: str) -> Any:
                return getattr(time, name)

            @staticmethod
            def sleep(seconds: float) -> None:
                time.sleep(scaled(seconds))

        retrier_decl.time = _ScaledTime()  # type: ignore[attr-defined,assignment]
        _scale_task_timeouts()
        _events_to_lambda_and_buses()
        _serialize_dynamodb_writes()
        _partition_queries()
        _instance_lookup_by_id()
        _dispatch_by_host_once()
        _applied = True


class _TableLocks:
    """One re-entrant lock per DynamoDB table; a request naming several takes them in name order."""

    def __init__(self) -> None:
        self._locks: dict[str, threading.RLock] = {}
        self._guard = threading.Lock()

    @contextlib.contextmanager
    def holding(self, names: Iterable[str]) -> Iterator[None]:
        with self._guard:
            locks = [self._locks.setdefault(n, threading.RLock()) for n in sorted(set(names))]
        with contextlib.ExitStack() as stack:
            for lock in locks:
                stack.enter_context(lock)
            yield


def _table_names(request: dict[str, Any]) -> list[str]:
    """The tables a DynamoDB request names ("" for one that names none, e.g. ListTables)."""
    names = [str(request["TableName"])] if request.get("TableName") else []
    names += [str(n) for n in request.get("RequestItems") or {}]
    for entry in request.get("TransactItems") or []:
        for op in (entry or {}).values():
            if isinstance(op, dict) and op.get("TableName"):
                names.append(str(op["TableName"]))
    return names or [""]


def _serialize_dynamodb_writes() -> None:
    """Writes one at a time, transactions all-or-nothing, and each request answered whole."""
    import copy
    from functools import wraps

    from moto.dynamodb import models as dynamodb_models
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.table import Table

    tables = _TableLocks()
    for name in ("put_item", "update_item", "delete_item"):
        original = getattr(DynamoDBBackend, name)

        def locked(self: Any, table_name: str, *args: Any, __original: Any = original, **kwargs: Any) -> Any:
            with tables.holding([table_name]):
                return __original(self, table_name, *args, **kwargs)

        setattr(DynamoDBBackend, name, wraps(original)(locked))

    class _SharedTables:
        """``copy`` for moto's DynamoDB backend module: tables are not deep-copied (the transaction
        wrapper below saves the touched items instead); everything else is."""

        def __getattr__(self, attr: str) -> Any:
            return getattr(copy, attr)

        @staticmethod
        def deepcopy(value: Any, memo: Any = None) -> Any:
            return value if isinstance(value, Table) else copy.deepcopy(value, memo)

    def touched(backend: Any, transact_items: list[dict[str, Any]]) -> list[tuple[Any, Any, Any, Any]]:
        saved = []
        for entry in transact_items:
            try:
                op_type, op = next(iter(entry.items()))
                table = backend.tables[op["TableName"]]
                key = op["Item"] if op_type == "Put" else op["Key"]
                hash_value = DynamoType(key[table.hash_key_attr])
                range_value = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
            except (KeyError, TypeError, AttributeError, StopIteration):
                continue  # malformed: moto refuses it before writing
            current = table.get_item(hash_value, range_value)
            saved.append((table, hash_value, range_value, copy.deepcopy(current)))
        return saved

    original_transact = DynamoDBBackend.transact_write_items

    @wraps(original_transact)
    def transact(self: Any, transact_items: list[dict[str, Any]]) -> Any:
        with tables.holding(_table_names({"TransactItems": transact_items})):
            saved = touched(self, transact_items)
            try:
                return original_transact(self, transact_items)
            except Exception:
                for table, hash_value, range_value, item in reversed(saved):
                    if item is None:
                        table.delete_item(hash_value, range_value)
                    elif range_value is not None:
                        table.items[hash_value][range_value] = item
                    else:
                        table.items[hash_value] = item
                raise

    dynamodb_models.copy = _SharedTables()  # type: ignore[attr-defined,assignment]
    DynamoDBBackend.transact_write_items = transact  # type: ignore[method-assign]

    # A read's answer is built from moto's live item after the backend call returns: a write of the
    # same item meanwhile broke it ("dictionary changed size during iteration", a 500). Each request
    # is answered whole under the locks of the tables it names, the locks the writes take: requests
    # on other tables go on meanwhile (a storm of writes to one table does not queue another's reads).
    from moto.dynamodb.responses import DynamoHandler

    original_call = DynamoHandler.call_action

    @wraps(original_call)
    def call_action(self: Any) -> Any:
        request = getattr(self, "params", None)  # moto parsed the request before the call
        with tables.holding(_table_names(request if isinstance(request, dict) else {})):
            return original_call(self)

    DynamoHandler.call_action = call_action  # type: ignore[method-assign]


def _partition_queries() -> None:
    from functools import wraps

    from moto.dynamodb.models.table import Table

    hint = threading.local()
    original_query = Table.query
    original_all_items = Table.all_items

    @wraps(original_query)
    def query(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
        if index_name or hash_key is None:
            return original_query(self, hash_key, *args, **kwargs)
        hint.partition = (self, hash_key)
        try:
            return original_query(self, hash_key, *args, **kwargs)
        finally:
            hint.partition = None

    @wraps(original_all_items)
    def all_items(self: Any) -> Any:
        partition = getattr(hint, "partition", None)
        if partition is None or partition[0] is not self:
            return original_all_items(self)
        found = self.items.get(partition[1])
        if found is None:
            return []
        return list(found.values()) if self.range_key_attr else [found]

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
        for reservation in reversed(list(self.reservations.values())):
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


def _scale_task_timeouts() -> None:
    from moto.stepfunctions.parser.asl.component.common.timeouts.timeout import Timeout

    def _eval_body(self: Any, env: Any) -> None:
        env.stack.append(scaled(self._eval_seconds(env=env)))

    Timeout._eval_body = _eval_body  # type: ignore[method-assign]


def _events_to_lambda_and_buses() -> None:
    import copy

    from moto.events import models as events_models
    from moto.utilities.arns import parse_arn

    original = events_models.Rule.send_to_targets
    rule_lock = threading.Lock()

    def invoke(target: dict[str, Any], event: dict[str, Any]) -> None:
        from moto.awslambda.models import lambda_backends

        arn = parse_arn(target["Arn"])
        payload = target["Input"] if target.get("Input") else json.dumps(event, default=str)
        try:
            fn = lambda_backends[arn.account][arn.region].get_function(target["Arn"])
            fn._invoke_lambda(event=payload)
        except Exception:  # EventBridge retries and then drops; the local stack logs and drops
            log.exception("EventBridge could not invoke %s", target["Arn"])

    def send_to_targets(self: Any, original_event: dict[str, Any], transform_input: bool = True) -> None:
        # a disabled rule, or a schedule (no pattern), matches no event (moto matched both)
        if self.state != "ENABLED" or not self.event_pattern.get_pattern():
            return
        if not self.event_pattern.matches_event(original_event):
            return
        others = []
        for target in self.targets:
            arn = parse_arn(target["Arn"])
            if arn.service == "lambda":
                threading.Thread(target=invoke, args=(target, copy.deepcopy(original_event)),
                                 name="eventbridge-lambda", daemon=True).start()
            elif arn.service == "events" and arn.resource_type == "event-bus":
                backend = events_models.events_backends[arn.account][arn.region]
                bus = backend.describe_event_bus(arn.resource_id)
                for rule in list(bus.rules.values()):
                    rule.send_to_targets(copy.deepcopy(original_event))  # type: ignore[arg-type]
            else:
                others.append(target)
        if others:
            with rule_lock:
                saved, self.targets = self.targets, others
                try:
                    original(self, original_event, transform_input)  # type: ignore[arg-type]
                finally:
                    self.targets = saved

    events_models.Rule.send_to_targets = send_to_targets  # type: ignore[method-assign,assignment]
