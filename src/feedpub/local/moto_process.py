"""The embedded S3 + SQS (moto's server) in a process of its own.

moto's server is pure Python: in the pipeline's process it shared one GIL with the handler, the
poller and the edge, so every request waited on their work and theirs on it (a 1,000-article
burst took 84 s; in a child process, 56 s: docs/benchmarks.md). The child prints the port it
bound on its first line and exits when its stdin closes, so it never outlives the process that
started it, however that one ended.

Run as `python -m feedpub.local.moto_process HOST PORT` (PORT 0 picks a free port).
"""

from __future__ import annotations

import logging
import select
import signal
import subprocess
import sys
import threading

STARTUP_TIMEOUT_S = 60.0


class MotoProcess:
    """Starts the child; `endpoint` is its URL; `stop()` ends it."""

    def __init__(self, host: str, port: int) -> None:
        self._child = subprocess.Popen(
            [sys.executable, "-m", __name__, host, str(port)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._child.stdout is not None
        ready, _, _ = select.select([self._child.stdout], [], [], STARTUP_TIMEOUT_S)
        line = self._child.stdout.readline().strip() if ready else ""
        if not line.isdigit():
            self.stop()
            raise OSError(f"the embedded S3 + SQS did not start on {host}:{port} (see the messages above)")
        self.endpoint = f"http://{host}:{line}"

    def stop(self) -> None:
        if self._child.stdin is not None and not self._child.stdin.closed:
            self._child.stdin.close()
        try:
            self._child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._child.kill()
            self._child.wait()


def serve(host: str, port: int) -> None:
    # Imported here: the parent, which only starts this process, never loads moto.
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    from feedpub.local import moto_speedups

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it stops us
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # not a line per request
    moto_speedups.apply()
    # What moto's ThreadedMotoServer does, but binding here: a port in use ends this process at once
    # (werkzeug says why on stderr) instead of leaving it waiting on a server thread that died.
    app = DomainDispatcherApplication(create_backend_app)
    server = make_server(host, port, app, threaded=True, request_handler=MotoRequestHandler)
    threading.Thread(target=server.serve_forever, name="moto-server", daemon=True).start()
    print(server.server_address[1], flush=True)
    sys.stdin.read()  # returns at EOF: the parent stopped us, or died
    server.shutdown()


if __name__ == "__main__":
    serve(sys.argv[1], int(sys.argv[2]))
