import os
from http.server import BaseHTTPRequestHandler, HTTPServer

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        os.makedirs(DATA, exist_ok=True)
        with open(os.path.join(DATA, "notes.txt"), "a") as fh:
            fh.write("visit\n")
        body = f"uid={os.getuid()} notes={open(os.path.join(DATA, 'notes.txt')).read().count('visit')}\n".encode()
        self.send_response(200)
        self.end_headers()
        self.wfile.write(body)


HTTPServer(("", 8000), Handler).serve_forever()
