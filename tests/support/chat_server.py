"""A chat-completions endpoint on 127.0.0.1 that speaks the OpenAI protocol, for the language-model overview tests
(the generator in process, and `trialfinder overviews --model` as a subprocess). What it answers is up to the test;
`good` answers well about the reference trial NCT06857773 in the language the prompt asks for."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# What a well-behaved model answers about the reference trial, in each language.
ANSWERS = {
    "en": [
        ("what", "This study is about bowel cancer that has spread to the liver.", ["conditions"]),
        ("who", "You can join if you are 18 or older.", ["eligibility.ages"]),
        ("do", "One of the 2 groups gets floxuridine through a small pump.", ["arms[0]", "interventions[1]"]),
        ("where", "The study takes place in Amsterdam.", ["sites"]),
    ],
    "nl": [
        ("what", "Dit onderzoek gaat over darmkanker die is uitgezaaid naar de lever.", ["conditions"]),
        ("who", "U kunt meedoen als u 18 jaar of ouder bent.", ["eligibility.ages"]),
        ("do", "Een van de 2 groepen krijgt floxuridine via een kleine pomp.", ["arms[0]", "interventions[1]"]),
        ("where", "Het onderzoek vindt plaats in Amsterdam.", ["sites"]),
    ],
}


def answer(sentences: list[tuple[str, str, list[str]]]) -> str:
    sections: dict[str, list] = {}
    for key, text, sources in sentences:
        sections.setdefault(key, []).append({"text": text, "sources": sources})
    return json.dumps({"sections": [{"key": key, "sentences": items} for key, items in sections.items()]})


def language_of(body: dict) -> str:
    return "nl" if "Dutch" in body["messages"][0]["content"] else "en"


class ChatServer:
    """A chat-completions endpoint on 127.0.0.1 whose answer to each request `respond` decides."""

    def __init__(self, respond: Callable[[dict], tuple[int, str, float]]):
        self.respond = respond
        self.requests: list[tuple[dict, dict]] = []  # (headers, body)
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.requests.append((dict(self.headers), body))
                if self.path != "/v1/chat/completions":
                    status, content, delay = 404, "", 0.0
                else:
                    status, content, delay = server.respond(body)
                time.sleep(delay)
                payload = json.dumps(
                    {
                        "id": "chatcmpl-test",
                        "object": "chat.completion",
                        "model": body.get("model"),
                        "choices": [
                            {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}
                        ],
                    }
                ).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting: that is the point of the time-out test

            def log_message(self, *args: object) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def __enter__(self) -> ChatServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)


def good(body: dict) -> tuple[int, str, float]:
    return 200, answer(ANSWERS[language_of(body)]), 0.0
