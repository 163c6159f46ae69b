"""The child processes of the robustness tests: ``python -m tests.robustness.child CMD SPEC``.

``crash``  runs one operation (see ``operations.py``) and SIGKILLs itself at a given point:
           ``append:N:before|after`` (around the N-th journal record written), ``produce:after`` (a
           document stored, not yet journaled), ``write_pdf`` (in the middle of WeasyPrint's
           PDF writing), ``commit:before`` (every statement sent, COMMIT not yet) or
           ``commit:after`` (committed, callbacks not yet run).  It prints ``KILL <point>``
           just before dying; if it survives, it exits with status 3.
``stress`` prints ``ready``, waits for a line on stdin, then fires events from several threads
           and prints one JSON object with every outcome.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sys
import threading
import traceback
from typing import Any

from coopflow import Actor, ConcurrentModificationError, Coopflow, CoopflowError
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from tests.robustness.operations import OPERATIONS


def _die(point: str) -> None:
    print(f"KILL {point}", flush=True)
    os.kill(os.getpid(), signal.SIGKILL)


def _is_write(options: dict[str, Any]) -> bool:
    from coopflow._db import WRITE_OPTION

    return bool(options.get(WRITE_OPTION))


def install_kill(point: str) -> None:
    """Arrange for this process to SIGKILL itself at ``point``."""
    name, _, rest = point.partition(":")
    if name == "append":
        from coopflow import _journal

        nth_text, when = rest.split(":")
        nth, calls = int(nth_text), [0]

        def counted(original: Any) -> Any:
            def write(*args: Any, **kwargs: Any) -> Any:
                calls[0] += 1
                if calls[0] == nth and when == "before":
                    _die(point)
                record = original(*args, **kwargs)
                if calls[0] == nth and when == "after":
                    _die(point)
                return record

            return write

        # a fire writes its record with advance_on() (through advance() on the ORM path);
        # creation, data entry, migration and scripts with append()
        _journal.append = counted(_journal.append)  # type: ignore[method-assign]
        _journal.advance_on = counted(_journal.advance_on)  # type: ignore[method-assign]
    elif name == "produce":
        from coopflow._documents import DocumentStore

        produce = DocumentStore.produce

        def produced(self: DocumentStore, *args: Any, **kwargs: Any) -> Any:
            doc = produce(self, *args, **kwargs)
            _die(point)
            return doc

        DocumentStore.produce = produced  # type: ignore[method-assign]
    elif name == "write_pdf":
        import weasyprint.document

        def write_pdf(self: Any, *args: Any, **kwargs: Any) -> Any:
            _die(point)

        weasyprint.document.Document.write_pdf = write_pdf
    elif point == "commit:before":

        @event.listens_for(Engine, "commit")
        def before_commit(conn: Connection) -> None:
            if _is_write(conn.get_execution_options()):
                _die(point)

    elif point == "commit:after":
        # Once the database has committed the outermost transaction (a released savepoint
        # takes another path), whether it was a Session's or a Connection's of coopflow's own.
        commit = Connection._commit_impl

        def committed(conn: Connection) -> None:
            commit(conn)
            if _is_write(conn.get_execution_options()):
                _die(point)

        Connection._commit_impl = committed  # type: ignore[method-assign]

    else:
        raise SystemExit(f"unknown kill point {point!r}")


def crash(spec: dict[str, Any]) -> None:
    cf = Coopflow(spec["url"])
    install_kill(spec["point"])
    OPERATIONS[spec["operation"]].run(cf, spec["ref"])
    print("survived", flush=True)
    raise SystemExit(3)


def stress(spec: dict[str, Any]) -> None:
    """Fire toggling events (suspendre/reprendre) with ``expected_version`` on a partnership
    shared by every thread of every worker and on the thread's own one, and log exchanges on
    the shared one."""
    cf = Coopflow(spec["url"])
    outcomes: list[dict[str, Any]] = []
    lock = threading.Lock()

    def work(thread: int) -> None:
        rnd = random.Random(f"{spec['seed']}-{spec['worker']}-{thread}")
        actor = Actor(f"agent-{spec['worker']}-{thread}", "staff")
        for i in range(spec["iterations"]):
            ref = spec["shared"] if rnd.random() < 0.6 else spec["own"][thread]
            outcome: dict[str, Any] = {"ref": ref}
            try:
                if i % 5 == 4:
                    outcome["op"] = "exchange"
                    cf.log_exchange(
                        spec["shared"],
                        date="2026-10-01",
                        kind="reunion",
                        summary=f"Réunion {spec['worker']}-{thread}-{i}",
                        actor=actor,
                    )
                    outcome["ref"] = spec["shared"]
                else:
                    info = cf.partnership(ref)
                    suspended = info.state == "suspendu"
                    outcome["op"] = "reprendre" if suspended else "suspendre"
                    result = cf.fire(
                        ref,
                        outcome["op"],
                        actor,
                        data=None if suspended else {"motif": f"pause {i}"},
                        expected_version=info.version,
                    )
                    outcome.update(seq=result.record.seq, hash=result.record.hash)
                outcome["outcome"] = "ok"
            except ConcurrentModificationError as exc:
                outcome.update(outcome="conflict", message=str(exc))
            except CoopflowError as exc:
                outcome.update(outcome=f"refused {type(exc).__name__}", message=str(exc))
            except Exception as exc:
                outcome.update(
                    outcome=f"crash {type(exc).__name__}", message=traceback.format_exc()
                )
            with lock:
                outcomes.append(outcome)

    print("ready", flush=True)
    sys.stdin.readline()
    threads = [threading.Thread(target=work, args=(t,)) for t in range(spec["threads"])]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    cf.close()
    print(json.dumps(outcomes), flush=True)


if __name__ == "__main__":
    command, raw = sys.argv[1], json.loads(sys.argv[2])
    {"crash": crash, "stress": stress}[command](raw)
