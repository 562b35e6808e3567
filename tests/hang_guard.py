"""Running a check that must not hang, without claiming how fast it is (speed is measured in bench/)."""

from __future__ import annotations

import multiprocessing

# A hang guard, not a speed claim: the child normally answers in well under a second; one that has not answered
# in 60 s (an order of magnitude above normal) is stuck, and is killed so the run goes on.
HANG_GUARD_SECONDS = 60


def _context():
    # Children come from a fork server started clean for them: forking the test process itself, with the threads
    # of live servers and browsers in it, can leave a child waiting forever on a lock some thread held.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["tests.hang_guard"])  # also hands the server this process's sys.path
    return context


def _answer(send, func, args) -> None:
    send.send(func(*args))


def in_child(func, *args):
    """``func(*args)`` run in a child process: its (picklable) result, asserting the child finished. ``func``
    must be importable by name (a module-level function), as must its arguments and its result."""
    context = _context()
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_answer, args=(send, func, args), daemon=True)
    child.start()
    send.close()
    answered, result = False, None
    if receive.poll(HANG_GUARD_SECONDS):  # read before joining: a large result fills the pipe until it is read
        try:
            result, answered = receive.recv(), True
        except EOFError:  # the child raised before answering (its traceback is on stderr)
            pass
    if not answered:
        child.kill()
    child.join(timeout=HANG_GUARD_SECONDS)
    assert answered and child.exitcode == 0, \
        f"{func.__name__} did not return within the {HANG_GUARD_SECONDS} s hang guard (exit code {child.exitcode})"
    return result
