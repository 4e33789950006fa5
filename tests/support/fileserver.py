"""A loopback HTTP server of the test's for ADD of a URL: path -> bytes, changeable while it serves; 404 for
any other path. Every file is served with the same Last-Modified (which ADD turns into the file's mtime)."""

import email.utils
import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager

LAST_MODIFIED = 1_600_000_000


@contextmanager
def served_files() -> Iterator[tuple[dict[str, bytes], str]]:
    """The served files (fill it in) and the server's base URL."""
    served: dict[str, bytes] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            body = served.get(self.path)
            if body is None:
                self.send_response(404)
                self.send_header("Content-Length", "9")
                self.end_headers()
                self.wfile.write(b"not here\n")
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Last-Modified", email.utils.formatdate(LAST_MODIFIED, usegmt=True))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            return None

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield served, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
