#!/usr/bin/env python3
"""Serves the replay corpus on 127.0.0.1 as its URLs name it (routes.csv: URL path -> file), for
tools that download it the way users' sheets do (the prototype's method in `make bench-prototype`).

usage: corpus_server.py CORPUS_DIR PORT_FILE
Binds a free port, writes it to PORT_FILE, serves until killed. Unknown paths get 404.
"""
import csv
import http.server
import os
import sys

corpus, port_file = sys.argv[1:3]
with open(os.path.join(corpus, "routes.csv"), newline="") as f:
    routes = {row["path"]: os.path.join(corpus, row["file"]) for row in csv.DictReader(f)}


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        path = routes.get(self.path.split("?")[0])
        if path is None:
            self.send_error(404)
            return
        with open(path, "rb") as f:
            body = f.read()
        self.send_response(200)
        self.send_header("Content-Type", "video/mp4")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(port_file, "w") as f:
    f.write(str(server.server_address[1]))
server.serve_forever()
