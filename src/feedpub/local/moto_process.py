"""The embedded S3 + SQS (moto's server) in a process of its own.

moto's server is pure Python: in the pipeline's process it shared one GIL with the handler, the
poller and the edge, so every request waited on their work and theirs on it (a 1,000-article
burst took 84 s; in a child process, 56 s: docs/benchmarks.md). The child exits when its stdin
closes, so it never outlives the process that started it, however that one ended. It runs in a
session of its own: a Ctrl-C in the terminal goes to `feedpub dev` only, which then stops it.

The child's first line on stdout is the port it bound, or `error ERRNO MESSAGE` when it could not
start (a port in use, moto missing): the parent turns that into one clear line.

Run as `python -m feedpub.local.moto_process HOST PORT` (PORT 0 picks a free port).
"""

from __future__ import annotations

import select
import signal
import subprocess
import sys

STARTUP_TIMEOUT_S = 60.0
STOP_GRACE_S = 5.0  # from stdin closed to the child gone; then it is killed


class EmbeddedStartError(OSError):
    """The child could not start; `errno` and `reason` as it reported them."""

    def __init__(self, where: str, number: int, reason: str) -> None:
        super().__init__(f"the embedded S3 + SQS did not start on {where}: {reason}")
        self.errno = number
        self.reason = reason


class MotoProcess:
    """Starts the child; `endpoint` is its URL once `wait_ready()` returned; `stop()` ends it.

    `wait=False` returns as soon as the child is started, so the caller can register it for the
    stop before it waits (the wait is the slow, interruptible part: moto's import)."""

    def __init__(self, host: str, port: int, wait: bool = True) -> None:
        self.host = host
        self.port = port
        self.endpoint = ""
        self._child = subprocess.Popen(
            [sys.executable, "-m", __name__, host, str(port)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        if wait:
            try:
                self.wait_ready()
            except BaseException:
                self.stop()
                raise

    def wait_ready(self) -> str:
        """Wait for the child's first line (interruptible); raise EmbeddedStartError if it failed."""
        assert self._child.stdout is not None
        ready, _, _ = select.select([self._child.stdout], [], [], STARTUP_TIMEOUT_S)
        line = self._child.stdout.readline().strip() if ready else ""
        if line.isdigit():
            self.endpoint = f"http://{self.host}:{line}"
            return self.endpoint
        self.stop()
        code, _, message = line.removeprefix("error ").partition(" ")
        if not line:
            message = (
                f"it exited with status {self._child.returncode}"
                if self._child.returncode is not None
                else f"it did not answer within {STARTUP_TIMEOUT_S:.0f} s"
            )
        raise EmbeddedStartError(f"{self.host}:{self.port}", int(code) if code.isdigit() else 0, message)

    def stop(self) -> None:
        child = self._child
        if child.poll() is not None:
            return
        if self.endpoint:  # serving: closing stdin shuts it down cleanly
            if child.stdin is not None and not child.stdin.closed:
                child.stdin.close()
        else:  # still starting (importing moto): nothing to shut down
            child.terminate()
        try:
            child.wait(timeout=STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def _report_failure(number: int, message: str) -> None:
    print(f"error {number} {message}", flush=True)


def serve(host: str, port: int) -> int:
    import socket

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it stops us
    try:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
        listener.listen(128)
    except OSError as exc:
        _report_failure(exc.errno or 0, exc.strerror or str(exc))
        return 1
    # Imported here: the parent, which only starts this process, never loads moto.
    try:
        import logging
        import threading

        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )
        from werkzeug.serving import make_server

        from feedpub.local import moto_speedups
    except ImportError as exc:
        _report_failure(0, f"{exc.name or exc} is not installed: pip install 'feedpub[local]'")
        return 1
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # not a line per request
    moto_speedups.apply()
    # What moto's ThreadedMotoServer does, on the socket bound above (werkzeug would print its own
    # message and exit on a port in use; the parent says it in one line instead).
    app = DomainDispatcherApplication(create_backend_app)
    server = make_server(
        host, port, app, threaded=True, request_handler=MotoRequestHandler, fd=listener.fileno()
    )
    threading.Thread(target=server.serve_forever, name="moto-server", daemon=True).start()
    print(listener.getsockname()[1], flush=True)
    sys.stdin.read()  # returns at EOF: the parent stopped us, or died
    server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(serve(sys.argv[1], int(sys.argv[2])))
