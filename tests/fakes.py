"""Hand-written fakes for tests about our logic: a chat model with a queue of replies, and a scripted
OpenAI-compatible HTTP server that records every request it receives (headers and body)."""

from __future__ import annotations

import json
import re
import threading
import zlib
from collections.abc import Callable, Iterator, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np
from pydantic import BaseModel

from rag.answers.llm import Usage
from rag.schema import Hit

# ---------------------------------------------------------------- a chat model at our interface


class FakeChat:
    """Stands in for rag.answers.llm.ChatModel. Each call takes the next reply from the queue.

    A reply is a pydantic object or dict (for invoke_structured), a string (complete/stream; streamed word by
    word), None (a malformed structured reply) or an exception (raised).
    """

    def __init__(self, replies: Sequence[Any], model: str = "fake-model", mode: str = "openai") -> None:
        self.replies = list(replies)
        self.model = model
        self.mode = mode
        self.base_url = "http://fake"
        self.calls: list[tuple[str, list[dict[str, str]]]] = []

    def describe(self) -> dict[str, str]:
        return {"mode": self.mode, "model": self.model, "base_url": self.base_url}

    def cost(self, usage: Usage) -> float | None:
        return round(usage.total_tokens * 1e-6, 6)

    def _next(self, kind: str, messages: Sequence[dict[str, str]]) -> Any:
        self.calls.append((kind, list(messages)))
        if not self.replies:
            raise AssertionError(f"FakeChat: no reply queued for {kind} call #{len(self.calls)}")
        reply = self.replies.pop(0)
        if isinstance(reply, BaseException):
            raise reply
        return reply

    @staticmethod
    def _usage(messages: Sequence[dict[str, str]], text: str) -> Usage:
        return Usage(sum(len(m["content"].split()) for m in messages), len(text.split()), 1)

    def invoke_structured(self, messages, schema: type[BaseModel], max_tokens: int | None = None):
        reply = self._next("structured", messages)
        if reply is None:
            return None, Usage(10, 5, 1)
        obj = reply if isinstance(reply, schema) else schema.model_validate(reply)
        return obj, self._usage(messages, obj.model_dump_json())

    def complete(self, messages, max_tokens: int | None = None):
        text = self._next("complete", messages)
        return text, self._usage(messages, text)

    def stream(self, messages, usage: Usage | None = None, max_tokens: int | None = None) -> Iterator[str]:
        text = self._next("stream", messages)
        words = text.split(" ")
        for i, w in enumerate(words):
            yield w if i == len(words) - 1 else w + " "
        if usage is not None:
            usage.add(self._usage(messages, text))


# ---------------------------------------------------------------- a scripted OpenAI-compatible server


def chat_completion(content: str | None = None, tool_args: dict | None = None, tool_name: str = "AnswerOut",
                    model: str = "scripted", usage: tuple[int, int] = (42, 7),
                    raw_arguments: str | None = None) -> dict:
    """A /v1/chat/completions response body with text content or one tool call."""
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if tool_args is not None or raw_arguments is not None:
        message["tool_calls"] = [{
            "id": "call_1", "type": "function",
            "function": {"name": tool_name, "arguments": raw_arguments or json.dumps(tool_args)},
        }]
    return {
        "id": "chatcmpl-1", "object": "chat.completion", "created": 0, "model": model,
        "choices": [{"index": 0, "message": message,
                     "finish_reason": "tool_calls" if "tool_calls" in message else "stop"}],
        "usage": {"prompt_tokens": usage[0], "completion_tokens": usage[1], "total_tokens": sum(usage)},
    }


def error_body(message: str, code: str | None = None, type_: str = "invalid_request_error") -> dict:
    return {"error": {"message": message, "type": type_, "code": code, "param": None}}


Reply = tuple[int, dict, dict[str, str]]  # status, JSON body, extra headers


class _ScriptedHandler(BaseHTTPRequestHandler):
    """Records each request on the server's `script` and answers with its next reply."""

    server: _ScriptedHTTPServer

    def log_message(self, *args: Any) -> None:  # keep test output quiet
        pass

    def do_GET(self) -> None:
        self._reply({"method": "GET", "path": self.path, "headers": dict(self.headers), "json": None})

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self._reply({"method": "POST", "path": self.path, "headers": dict(self.headers),
                     "json": json.loads(raw or b"null")})

    def _reply(self, request: dict) -> None:
        try:
            self._answer(request)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout tests)
            pass

    def _answer(self, request: dict) -> None:
        status, body, headers = self.server.script.next_reply(request)
        if status == 200 and (request["json"] or {}).get("stream") and "choices" in body:
            self._stream(body, headers)
            return
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _stream(self, body: dict, headers: dict[str, str]) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        content = body["choices"][0]["message"].get("content") or ""
        words = content.split(" ")
        for i, w in enumerate(words):
            piece = w if i == len(words) - 1 else w + " "
            self._event({"id": "c", "object": "chat.completion.chunk", "created": 0, "model": body["model"],
                         "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]})
        self._event({"id": "c", "object": "chat.completion.chunk", "created": 0, "model": body["model"],
                     "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        self._event({"id": "c", "object": "chat.completion.chunk", "created": 0, "model": body["model"],
                     "choices": [], "usage": body.get("usage")})
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()

    def _event(self, obj: dict) -> None:
        self.wfile.write(b"data: " + json.dumps(obj).encode() + b"\n\n")
        self.wfile.flush()


class _ScriptedHTTPServer(ThreadingHTTPServer):
    def __init__(self, script: ScriptedOpenAIServer) -> None:
        self.script = script
        super().__init__(("127.0.0.1", 0), _ScriptedHandler)


class ScriptedOpenAIServer:
    """A real HTTP server on 127.0.0.1 that answers each request with the next scripted reply.

    The last reply repeats when the script runs out. A successful chat completion requested with
    stream=true is sent as server-sent events, one word per chunk. Every request is recorded in `requests`
    as {"method", "path", "headers", "json"}, so tests can check what a client really sent.
    """

    def __init__(self, replies: Sequence[Reply | dict | Callable[[dict], Reply | dict]]) -> None:
        self.replies = list(replies)
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._server = _ScriptedHTTPServer(self)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def next_reply(self, request: dict) -> Reply:
        """Record the request and resolve the reply scripted for it."""
        with self._lock:
            self.requests.append(request)
            script = self.replies[min(len(self.requests), len(self.replies)) - 1]
        return self._resolve(script, request)

    @staticmethod
    def _resolve(script: Any, request: dict) -> Reply:
        if callable(script):
            script = script(request)
        if isinstance(script, dict):
            return 200, script, {}
        status, body, *rest = script
        return status, body, (rest[0] if rest else {})

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def __enter__(self) -> ScriptedOpenAIServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


class WordsEmbedder:
    """A hashed bag of words (Latin words, single kana/kanji) standing in for the encoder in pure answer tests:
    texts sharing words are close, enough for ranking."""

    model_id = "test-words"

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), 256))
        for i, t in enumerate(texts):
            for w in re.findall(r"[a-z]+|[\u3040-\u30ff\u4e00-\u9fff]", t.lower()):
                out[i, zlib.crc32(w.encode()) % 256] += 1.0
        return out


def note_hit(text: str, doc: str = "note", company_key: str = "", period: str = "2025", n: int = 0,
             title: str | None = None) -> Hit:
    """A retrieved chunk of a Markdown note (page 0), as the answer rules see one; title defaults to the doc name."""
    meta = {"company_key": company_key, "period": period, "doc_type": "note", "title": doc if title is None else title,
            "source": f"corpus/{doc}.md", "ord": n}
    return Hit(f"{doc}-{n}", doc, 0, text, 1.0, meta)
