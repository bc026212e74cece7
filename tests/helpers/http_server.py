"""A loopback HTTP server for download tests that misbehaves on request: drops connections,
ignores Range, answers the wrong range, sends the wrong bytes, or fails."""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Behaviour:
    body: bytes = b""
    drop_after: int | None = None  # close the connection after this many body bytes...
    drops: int = 0  # ...for this many requests
    ignore_range: bool = False
    wrong_range: bool = False
    status: int = 200
    declare_hash: bool = True
    served_body: bytes | None = None  # what is actually sent, if not ``body``
    requests: list[str | None] = field(default_factory=list)  # Range header of each
    files: dict[str, bytes] = field(default_factory=dict)  # other paths, served plainly
    chunk_delay_s: float = 0.0  # a slow network: pause after every 16 KiB


class FileServer:
    def __init__(self, behaviour: Behaviour) -> None:
        self.behaviour = behaviour
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args) -> None:
                pass

            def do_GET(self) -> None:
                b = server.behaviour
                if self.path in b.files:  # a plain file: no faults, no declared hash
                    data = b.files[self.path]
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                    return
                b.requests.append(self.headers.get("Range"))
                if b.status >= 400:
                    self.send_error(b.status)
                    return
                data = b.served_body if b.served_body is not None else b.body
                start = 0
                wanted = self.headers.get("Range")
                if wanted and not b.ignore_range:
                    start = int(wanted.split("=")[1].split("-")[0])
                    self.send_response(206)
                    shown = 0 if b.wrong_range else start
                    self.send_header("Content-Range",
                                     f"bytes {shown}-{len(data) - 1}/{len(data)}")
                else:
                    self.send_response(200)
                chunk = data[start:]
                self.send_header("Content-Length", str(len(chunk)))
                if b.declare_hash:
                    self.send_header("ETag", '"' + hashlib.sha256(b.body).hexdigest() + '"')
                self.end_headers()
                if b.drops > 0 and b.drop_after is not None:
                    b.drops -= 1
                    self.wfile.write(chunk[: b.drop_after])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                if b.chunk_delay_s:
                    import time

                    for start in range(0, len(chunk), 16384):
                        self.wfile.write(chunk[start:start + 16384])
                        self.wfile.flush()
                        time.sleep(b.chunk_delay_s)
                    return
                self.wfile.write(chunk)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    @property
    def url(self) -> str:
        return f"{self.base}/model.gguf"

    def __enter__(self) -> FileServer:
        self.thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
