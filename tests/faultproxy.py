"""A fault-injecting HTTP/1.1 proxy on loopback, for the sync tests.

It understands just enough HTTP (headers, Content-Length bodies) to apply one fault per
request, in the order they are queued, and passes requests through once the queue is empty:

- ``delay:S``   wait S seconds, then pass the request through;
- ``hang``      never answer (until the proxy stops): the client must time out;
- ``reset``     abort the client's connection (RST) before the server sees anything;
- ``drop_before`` close the connection (FIN) before the server sees anything;
- ``drop_after``  let the server answer (it has committed), then abort the client's connection;
- ``cut``       let the server answer, send the client half of the body, then close.

``fault@word`` applies only to the next request to the endpoint ``/v1/word`` (for example
``drop_after@push``: a push, not ``/v1/push/held``) or with the method ``word`` (``@PUT``);
other requests pass by without using it up.
"""

from __future__ import annotations

import socket
import struct
import threading
from collections import deque

PASS = "pass"


def _read_message(sock: socket.socket, buffer: bytearray) -> bytes | None:
    """One HTTP message (headers + Content-Length body) from ``sock``; None at EOF."""
    while b"\r\n\r\n" not in buffer:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        buffer.extend(chunk)
    head_end = buffer.index(b"\r\n\r\n") + 4
    length = 0
    for line in bytes(buffer[:head_end]).split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(buffer) < head_end + length:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        buffer.extend(chunk)
    message = bytes(buffer[: head_end + length])
    del buffer[: head_end + length]
    return message


def _abort(sock: socket.socket) -> None:
    """Close with RST, as a cut cable or a crashed middlebox would look."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    finally:
        sock.close()


class FaultProxy:
    def __init__(self, upstream_port: int) -> None:
        self.upstream = ("127.0.0.1", upstream_port)
        self.faults: deque[str] = deque()
        self.applied: list[str] = []
        self.requests = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._threads: list[threading.Thread] = []
        self._clients: list[socket.socket] = []
        self._accept_thread = threading.Thread(target=self._accept, daemon=True)
        self._accept_thread.start()

    def queue(self, *faults: str) -> None:
        with self._lock:
            self.faults.extend(faults)

    def clear(self) -> None:
        with self._lock:
            self.faults.clear()

    def _next_fault(self, request: bytes) -> str:
        line = request.split(b"\r\n", 1)[0].decode("latin-1")
        with self._lock:
            self.requests += 1
            fault = PASS
            if self.faults:
                name, _, word = self.faults[0].partition("@")
                path = line.split(" ")[1].split("?")[0] if line.count(" ") >= 2 else ""
                method = line.split(" ", 1)[0]
                if not word or path == f"/v1/{word}" or method == word:
                    self.faults.popleft()
                    fault = name
                    self.applied.append(f"{fault} {line}")
            return fault

    def _accept(self) -> None:
        self.listener.settimeout(0.2)
        while not self._stop.is_set():
            try:
                client, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self._clients.append(client)
            thread = threading.Thread(target=self._serve, args=(client,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _exchange(self, request: bytes) -> bytes | None:
        with socket.create_connection(self.upstream, timeout=30) as upstream:
            upstream.sendall(request)
            return _read_message(upstream, bytearray())

    def _serve(self, client: socket.socket) -> None:
        buffer = bytearray()
        try:
            while not self._stop.is_set():
                request = _read_message(client, buffer)
                if request is None:
                    client.close()
                    return
                if not self._serve_one(client, request, self._next_fault(request)):
                    return
        except OSError:
            client.close()

    def _serve_one(self, client: socket.socket, request: bytes, fault: str) -> bool:
        """Apply one fault to one request; False once the connection is gone."""
        if fault.startswith("delay:"):
            self._stop.wait(float(fault.split(":", 1)[1]))
            fault = PASS
        if fault == "hang":
            self._stop.wait()
            _abort(client)
            return False
        if fault == "reset":
            _abort(client)
            return False
        if fault == "drop_before":
            client.shutdown(socket.SHUT_RDWR)
            client.close()
            return False
        response = self._exchange(request)
        if response is None or fault == "drop_after":
            _abort(client)
            return False
        if fault == "cut":
            head_end = response.index(b"\r\n\r\n") + 4
            body = response[head_end:]
            client.sendall(response[:head_end] + body[: len(body) // 2])
            client.shutdown(socket.SHUT_RDWR)
            client.close()
            return False
        client.sendall(response)
        return True

    def stop(self) -> None:
        self._stop.set()
        self.listener.close()
        self._accept_thread.join(timeout=5)
        with self._lock:
            clients = list(self._clients)
        for client in clients:  # wake the threads waiting on idle keep-alive connections
            try:
                client.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        for thread in self._threads:
            thread.join(timeout=5)
