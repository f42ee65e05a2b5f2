"""A stand-in machine program for fly-local's tests.

Listens on $BIND:$PORT (default 0.0.0.0:8080) and answers:
  GET /healthz          200 ok
  GET /env/NAME         the value of $NAME (404 if unset)
  GET /file?path=P      the contents of P
  GET /pid              its own pid
  GET /exit/CODE        answers, then exits with CODE
Prints a line when listening and when signalled. With $EXIT_AT_START=N it
exits with N right away (a crashing program); with $ALLOC_MB=N it first
touches N MB of memory.
"""
import http.server
import os
import signal
import sys
import threading
import urllib.parse

def on_signal(signum, _frame):
    print(f"standin got {signal.Signals(signum).name}", flush=True)
    sys.exit(0)

signal.signal(signal.SIGTERM, on_signal)
signal.signal(signal.SIGINT, on_signal)

if os.environ.get("ALLOC_MB"):
    print(f"standin allocating {os.environ['ALLOC_MB']} MB", flush=True)
    hog = bytearray(int(os.environ["ALLOC_MB"]) * 1024 * 1024)
    for i in range(0, len(hog), 4096):
        hog[i] = 1
    print("standin allocated", flush=True)

if os.environ.get("EXIT_AT_START"):
    print(f"standin exiting with {os.environ['EXIT_AT_START']}", flush=True)
    sys.exit(int(os.environ["EXIT_AT_START"]))

class Handler(http.server.BaseHTTPRequestHandler):
    def reply(self, status, body):
        data = body.encode()
        self.send_response(status)
        self.send_header("content-type", "text/plain")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        if url.path == "/healthz":
            return self.reply(200, "ok")
        if url.path == "/pid":
            return self.reply(200, str(os.getpid()))
        if url.path.startswith("/env/"):
            value = os.environ.get(url.path[5:])
            return self.reply(200, value) if value is not None else self.reply(404, "unset")
        if url.path == "/file":
            path = urllib.parse.parse_qs(url.query)["path"][0]
            try:
                with open(path) as f:
                    return self.reply(200, f.read())
            except OSError as e:
                return self.reply(404, str(e))
        if url.path.startswith("/exit/"):
            code = int(url.path[6:])
            self.reply(200, "bye")
            threading.Timer(0.05, lambda: os._exit(code)).start()
            return
        self.reply(404, "not found")

    def log_message(self, fmt, *args):
        print("standin request: " + fmt % args, flush=True)

bind = os.environ.get("BIND", "0.0.0.0")
port = int(os.environ.get("PORT", "8080"))
server = http.server.ThreadingHTTPServer((bind, port), Handler)
print(f"standin listening on {bind}:{port} pid={os.getpid()}", flush=True)
server.serve_forever()
