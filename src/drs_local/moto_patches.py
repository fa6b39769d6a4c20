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
5. What only makes moto faster, with the same answers, is in :mod:`drs_local.moto_speed`.
6. EventBridge rules deliver to Lambda targets through Lambda's queue of asynchronous invocations
   (``_AsyncInvocations``); how buses hand events to rules is in :mod:`drs_local.moto_events`.
7. Task timeouts (``TimeoutSeconds``/``TimeoutSecondsPath``, e.g. a ``waitForTaskToken`` task) are
   divided by the time scale like Wait states.
8. ``Invoke`` with ``InvocationType=Event`` answers 202 at once and queues the invocation
   (``_AsyncInvocations``), as Lambda does (moto ran it before answering).
   :func:`refuse_async_invocations` makes them fail instead (as when the caller may not invoke the
   function), for tests of what a caller does when its background run cannot be queued.
9. The Step Functions service integration (``arn:aws:states:::states:startExecution``) takes its
   parameters as AWS documents them (``StateMachineArn``, ``Name``, ``Input``): moto's interpreter
   handed them to boto3 as written, which leaves out keys not in the API's own casing
   (``stateMachineArn``...), and the task failed with ``States.Runtime``. They are put in the API's
   casing first, by the service model, as AWS does.
10. A task token is closed when its task ends: a late SendTaskSuccess is refused with
   ``TaskTimedOut`` (moto took it as a success, for a wait that had already timed out), and a
   token moto does not know gets ``InvalidToken`` (moto answered both with a 500).
11. An asynchronous invocation begins when no synchronous one is running (or after
   ``ASYNC_YIELD_SECONDS``): see ``_Waited``.

These touch moto internals; the exact moto pin in pyproject.toml is what keeps them valid.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import logging
import queue
import threading
import time
import traceback
import uuid
from collections.abc import Iterable, Iterator
from typing import Any

from drs_local import moto_events, moto_speed

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


class _Waited:
    """The synchronous invocations running now (a caller waits for each: the state machine's tick,
    an API request). In AWS each invocation has an execution environment, and a CPU, of its own; in
    the local stack they share one interpreter, and an asynchronous invocation (an EventBridge
    target, ``InvocationType=Event``: nobody waits for it) begins only when none is running, or after
    ``ASYNC_YIELD_SECONDS`` at most, so a hundred DRS launch results landing at once do not slow the
    tick that a caller waits for. One that has begun runs to its end. (The DRS emulator's deliveries
    to EventBridge do not wait: held back at a wave's end, they piled up and slowed later waves.)"""

    def __init__(self) -> None:
        self._running = 0
        self._idle = threading.Condition()
        self._free_until = 0.0  # after a wait that ran out, nobody waits until then

    @contextlib.contextmanager
    def running(self) -> Iterator[None]:
        with self._idle:
            self._running += 1
        try:
            yield
        finally:
            with self._idle:
                self._running -= 1
                if not self._running:
                    self._idle.notify_all()

    def wait_idle(self, at_most: float) -> None:
        """Wait until no waited invocation runs, ``at_most`` seconds. A wait that runs out frees
        every waiter for the next ``at_most`` seconds: under waited invocations that never stop
        (a 4,000-server tick), the others still get half the time instead of a trickle."""
        with self._idle:
            if time.monotonic() < self._free_until:
                return
            if not self._idle.wait_for(lambda: not self._running, timeout=at_most):
                self._free_until = time.monotonic() + at_most


ASYNC_YIELD_SECONDS = 0.5
_waited = _Waited()
_async_worker = threading.local()


def _invoke_in_process(self: Any, event: str | None = None) -> tuple[str, bool, str]:
    if getattr(_async_worker, "on", False):
        return _run_in_process(self, event)
    with _waited.running():
        return _run_in_process(self, event)


def _run_in_process(self: Any, event: str | None = None) -> tuple[str, bool, str]:
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


ASYNC_CONCURRENCY = 2  # a function's asynchronous invocations running at once on the local stack
ASYNC_STUCK_SECONDS = 1.0  # when every worker has run longer than this, the function gets another
ASYNC_MAX_WORKERS = 32


class _Queue:
    def __init__(self, limit: int) -> None:
        self.pending: queue.SimpleQueue[tuple[Any, Any]] = queue.SimpleQueue()
        self.limit = limit
        self.busy: dict[int, float] = {}  # worker number -> when its invocation started
        self.workers = 0
        self.watching = False  # a timer will look at the workers while invocations wait


class _AsyncInvocations:
    """Lambda's queue of asynchronous invocations (``InvocationType=Event`` and EventBridge
    targets): each function's events wait in its queue and run on ``ASYNC_CONCURRENCY`` threads
    (fewer when the function's reserved concurrency is lower), in arrival order. In AWS each
    invocation has an execution environment of its own; here every function shares one process and
    one interpreter lock, and a thread per event (a wave of a hundred servers ending sends a hundred
    DRS launch results at once) starved the engine's tick of the interpreter. Lambda also scales
    out when invocations back up: when every worker has been busy for ``ASYNC_STUCK_SECONDS`` with
    events waiting (a background run waiting for the run before it), another worker starts, so a
    long invocation never holds the short ones up (up to ``ASYNC_MAX_WORKERS``, and never past a
    reserved concurrency)."""

    def __init__(self) -> None:
        self._queues: dict[str, _Queue] = {}
        self._lock = threading.Lock()

    def submit(self, fn: Any, event: Any) -> None:
        with self._lock:
            state = self._queues.get(fn.function_arn)
            if state is None:
                reserved = int(fn.reserved_concurrency) if fn.reserved_concurrency else None
                state = self._queues[fn.function_arn] = _Queue(reserved or ASYNC_MAX_WORKERS)
                for _ in range(max(1, min(ASYNC_CONCURRENCY, state.limit))):
                    self._start(fn, state)
            state.pending.put((fn, event))
            if not state.watching:  # one timer per function, not one per event
                state.watching = True
                self._watch(fn, state)

    def _watch(self, fn: Any, state: _Queue) -> None:
        timer = threading.Timer(ASYNC_STUCK_SECONDS, self._scale_out, args=(fn, state))
        timer.daemon = True
        timer.start()

    def _scale_out(self, fn: Any, state: _Queue) -> None:
        with self._lock:
            now = time.monotonic()
            stuck = len(state.busy) == state.workers and all(now - t >= ASYNC_STUCK_SECONDS for t in state.busy.values())
            if stuck and not state.pending.empty() and state.workers < state.limit:
                self._start(fn, state)
            state.watching = not state.pending.empty()  # look again while invocations wait
            if state.watching:
                self._watch(fn, state)

    def _start(self, fn: Any, state: _Queue) -> None:
        number = state.workers
        state.workers += 1
        threading.Thread(target=self._run, args=(state, number), daemon=True,
                         name=f"lambda-async-{fn.function_name}-{number}").start()

    def _run(self, state: _Queue, number: int) -> None:
        _async_worker.on = True
        while True:
            fn, event = state.pending.get()
            _waited.wait_idle(ASYNC_YIELD_SECONDS)
            with self._lock:
                state.busy[number] = time.monotonic()
            try:
                fn._invoke_lambda(event=event)
            except Exception:  # Lambda retries and then drops; the local stack logs and drops
                log.exception("asynchronous invocation of %s failed", fn.function_name)
            finally:
                with self._lock:
                    state.busy.pop(number, None)


async_invocations = _AsyncInvocations()

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
        async_invocations.submit(self, json.loads(body) if body else {})
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
        _closed_task_tokens()
        moto_events.apply(async_invocations.submit)
        _serialize_dynamodb_writes()
        _sfn_integration_parameters()
        moto_speed.apply()
        _applied = True


def _sfn_integration_parameters() -> None:
    import botocore.session
    from botocore import xform_name
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_sfn import (
        StateTaskServiceSfn,
    )

    model = botocore.session.get_session().get_service_model("stepfunctions")
    operations = {xform_name(name): model.operation_model(name) for name in model.operation_names}
    original = StateTaskServiceSfn._normalise_parameters

    def normalise(self: Any, parameters: dict[str, Any], boto_service_name: str | None = None,
                  service_action_name: str | None = None) -> None:
        original(self, parameters, boto_service_name, service_action_name)  # Input as a JSON string
        operation = operations.get(self._get_boto_service_action(service_action_name))
        if operation is not None and operation.input_shape is not None:
            self._to_boto_request(parameters, operation.input_shape)

    StateTaskServiceSfn._normalise_parameters = normalise  # type: ignore[method-assign]


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


def _closed_task_tokens() -> None:
    """A task token whose task has ended (it timed out, was answered, or failed) is refused as
    Step Functions refuses it: ``TaskTimedOut``, "the task associated with the token has already been
    closed". moto kept the ended task's callback open and took a late SendTaskSuccess as a success,
    so a caller could not tell that its answer reached nothing."""
    from moto.stepfunctions.parser.asl.eval.callback.callback import CallbackConsumerTimeout, CallbackEndpoint

    original = CallbackEndpoint.interrupt_all  # called once the task's outcome is collected, whatever it was

    def interrupt_all(self: Any) -> None:
        if self.consumer_error is None:
            self.report(CallbackConsumerTimeout())
        original(self)

    CallbackEndpoint.interrupt_all = interrupt_all  # type: ignore[method-assign]

    # The task's own timeout ends it before the thread waiting for its token sees that: the token
    # is closed at that moment too, not when that thread next wakes.
    from moto.stepfunctions.parser.asl.component.common.timeouts.timeout import EvalTimeoutError
    from moto.stepfunctions.parser.asl.component.state.exec.execute_state import ExecutionState

    original_evaluate = ExecutionState._evaluate_with_timeout

    def evaluate_with_timeout(self: Any, env: Any) -> None:
        try:
            original_evaluate(self, env)
        except EvalTimeoutError:
            token = (env.states.context_object.context_object_data.get("Task") or {}).get("Token")
            endpoint = env.callback_pool_manager.get(token) if token else None
            if endpoint is not None:
                endpoint.interrupt_all()
            raise

    ExecutionState._evaluate_with_timeout = evaluate_with_timeout  # type: ignore[method-assign]

    # The errors a closed or unknown token gets: moto's parser raised them without the message its
    # exception class requires, and the caller got a 500 instead of the error. Its choice between
    # the two for a closed task tests the wrapping exception instead of the reported error, so it
    # always chose TaskDoesNotExist: every task closed here is answered as AWS answers it.
    from moto.core.exceptions import AWSError
    from moto.stepfunctions.parser import models as parser_models

    def error(code: str, message: str) -> Any:
        return lambda: AWSError(message, exception_type=code)

    closed = error("TaskTimedOut", "Task Timed Out: 'Provided task does not exist anymore'")
    for name, raised in (("TaskTimedOut", closed), ("TaskDoesNotExist", closed),
                         ("InvalidToken", error("InvalidToken", "Invalid Token: 'Invalid token'"))):
        setattr(parser_models, name, raised)


def _scale_task_timeouts() -> None:
    from moto.stepfunctions.parser.asl.component.common.timeouts.timeout import Timeout

    def _eval_body(self: Any, env: Any) -> None:
        env.stack.append(scaled(self._eval_seconds(env=env)))

    Timeout._eval_body = _eval_body  # type: ignore[method-assign]
