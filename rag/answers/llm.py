"""Chat model providers, chosen in one place: none (extractive), OpenAI, or any OpenAI-compatible server."""

from __future__ import annotations

import itertools
import logging
import random
import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, SecretStr

from rag.config import Settings
from rag.errors import ConfigError, LLMError
from rag.text.safe import redact_urls
from rag.text.tokens import count_tokens

log = logging.getLogger(__name__)

T = TypeVar("T", bound=BaseModel)
Message = dict[str, str]  # {"role": "system" | "user" | "assistant", "content": "..."}

OPENAI_URL = "https://api.openai.com/v1"
MAX_RETRIES = 3  # for 429, 5xx and refused connections; see ChatModel._call

# USD per million tokens (input, output), from openai.com/api/pricing; longest matching prefix wins,
# so dated snapshots ("gpt-4o-2024-08-06") price as their family.
PRICES_PER_MTOK: dict[str, tuple[float, float]] = {
    "gpt-5": (1.25, 10.00),
    "gpt-5-mini": (0.25, 2.00),
    "gpt-5-nano": (0.05, 0.40),
    "gpt-4.1": (2.00, 8.00),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1-nano": (0.10, 0.40),
    "gpt-4o": (2.50, 10.00),
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4-turbo": (10.00, 30.00),
    "gpt-4": (30.00, 60.00),
    "gpt-3.5-turbo": (0.50, 1.50),
    "o1": (15.00, 60.00),
    "o1-mini": (1.10, 4.40),
    "o3": (2.00, 8.00),
    "o3-mini": (1.10, 4.40),
    "o4-mini": (1.10, 4.40),
}

_CONTEXT_TOO_LONG = re.compile(
    r"context[_ ]length|context window|maximum context|too many tokens|exceeds? (the )?(max|context)|"
    r"requested tokens .* exceed",
    re.IGNORECASE,
)


@dataclass
class Usage:
    """Tokens one or more chat calls used; `estimated` when the server did not report them."""

    input_tokens: int = 0
    output_tokens: int = 0
    calls: int = 0
    estimated: bool = False

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    def add(self, other: Usage) -> None:
        self.input_tokens += other.input_tokens
        self.output_tokens += other.output_tokens
        self.calls += other.calls
        self.estimated = self.estimated or other.estimated

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "total_tokens": self.total_tokens}


def price_for(model: str) -> tuple[float, float] | None:
    """(input, output) USD per million tokens for an OpenAI model, or None when unknown."""
    name = model.lower().split("/")[-1]
    best = max((p for p in PRICES_PER_MTOK if name == p or name.startswith(p + "-")), key=len, default=None)
    return PRICES_PER_MTOK[best] if best else None


def estimate_cost(model: str, usage: Usage) -> float | None:
    """Estimated USD cost of the usage on OpenAI's API, or None for a model not in the price table."""
    price = price_for(model)
    if price is None:
        return None
    return round((usage.input_tokens * price[0] + usage.output_tokens * price[1]) / 1_000_000, 6)


SECRET_RUN = 8  # any run this long of a secret counts as the secret: servers echo keys in part


def _mask_runs(text: str, secret: str) -> str:
    """text with every stretch that shares SECRET_RUN or more consecutive characters with secret masked."""
    pieces = {secret[i:i + SECRET_RUN] for i in range(len(secret) - SECRET_RUN + 1)}
    hit = [False] * len(text)
    for i in range(len(text) - SECRET_RUN + 1):
        if text[i:i + SECRET_RUN] in pieces:
            hit[i:i + SECRET_RUN] = [True] * SECRET_RUN
    out: list[str] = []
    for i, ch in enumerate(text):
        if not hit[i]:
            out.append(ch)
        elif i == 0 or not hit[i - 1]:
            out.append("***")
    return "".join(out)


def _redact(text: str, secrets: Sequence[str]) -> str:
    """text without the secrets, any 8-character run of them, credentials in URLs or key-like tokens."""
    for s in secrets:
        if s and len(s) >= SECRET_RUN:
            text = _mask_runs(text, s)
        elif s and len(s) >= 4:
            text = text.replace(s, "***")
    # Servers echo (partly masked) keys in their error messages: never pass any of it on.
    text = re.sub(r"\b(sk|key|api[_-]?key)[-_][A-Za-z0-9_*.\-]{4,}", r"\1-***", text, flags=re.IGNORECASE)
    return redact_urls(text)


def url_secrets(url: str | None) -> tuple[str, ...]:
    """The password in a URL's user-info, to be redacted wherever a server might echo it."""
    from urllib.parse import unquote, urlsplit

    try:
        parts = urlsplit(url or "")
    except ValueError:
        return ()
    return (unquote(parts.password),) if parts.password else ()


def _server_message(exc: Exception) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        inner = body["error"] if isinstance(body.get("error"), dict) else body
        if inner.get("message"):
            return str(inner["message"])
    return str(getattr(exc, "message", "") or exc)


def translate_llm_error(
    exc: Exception, *, model: str, base_url: str | None, timeout: float, retries: int = MAX_RETRIES,
    secrets: Sequence[str] = (),
) -> LLMError:
    """An LLMError whose message says what to do about a failed chat call (never the key)."""
    import openai

    where = redact_urls(base_url or OPENAI_URL)
    secrets = (*secrets, *url_secrets(base_url))
    if isinstance(exc, openai.APITimeoutError):
        msg = (f"The model server at {where} did not answer within {timeout:g} s; try again, or raise "
               "SHIFTBRIEF_LLM_TIMEOUT for a slow local model")
    elif isinstance(exc, openai.APIConnectionError):
        hint = "is it running? Check OPENAI_BASE_URL" if base_url else "check your network connection"
        msg = f"Cannot reach the model server at {where}; {hint}"
    elif isinstance(exc, openai.AuthenticationError):
        msg = f"The model server at {where} rejected the API key; check OPENAI_API_KEY"
    elif isinstance(exc, openai.PermissionDeniedError):
        msg = f"The API key may not use model {model!r} at {where}; check the key's project and model access"
    elif isinstance(exc, openai.NotFoundError):
        msg = (f"Model {model!r} was not found on the server at {where}; set SHIFTBRIEF_LLM_MODEL to a model "
               "it serves")
    elif isinstance(exc, openai.RateLimitError):
        if "quota" in _server_message(exc).lower():
            msg = f"The account behind OPENAI_API_KEY has no quota left at {where}; check its plan and billing"
        else:
            msg = (f"The model server at {where} is rate-limiting requests (HTTP 429) even after {retries} "
                   "retries; wait a minute and try again")
    elif isinstance(exc, openai.BadRequestError) and _CONTEXT_TOO_LONG.search(_server_message(exc)):
        msg = (f"The question and its passages are too long for the context of model {model!r}; ask a narrower "
               "question, or use a model with a longer context")
    elif isinstance(exc, openai.APIStatusError):
        detail = _redact(_server_message(exc), secrets)[:300]
        if exc.status_code >= 500:
            msg = (f"The model server at {where} failed (HTTP {exc.status_code}) after {retries} retries: "
                   f"{detail}; try again, or check the server's log")
        else:
            msg = f"The model server at {where} refused the request (HTTP {exc.status_code}): {detail}"
    else:
        msg = f"The chat model at {where} failed ({type(exc).__name__}); try again, or run with --verbose"
    return LLMError(_redact(msg, secrets))


def _usage_of(message: Any, prompt: Sequence[Message]) -> Usage:
    meta = getattr(message, "usage_metadata", None) or {}
    if meta.get("input_tokens") or meta.get("output_tokens"):
        return Usage(int(meta.get("input_tokens", 0)), int(meta.get("output_tokens", 0)), 1)
    text = _text_of(message)
    return Usage(sum(count_tokens(m["content"]) for m in prompt), count_tokens(text), 1, estimated=True)


def _text_of(message: Any) -> str:
    content = getattr(message, "content", "") or ""
    if isinstance(content, list):  # content blocks
        return "".join(b.get("text", "") if isinstance(b, dict) else str(b) for b in content)
    return str(content)


def _retry_delay(exc: Exception, attempt: int) -> float:
    """Seconds to wait before retry number `attempt` (0-based): the server's Retry-After, else exponential."""
    headers = getattr(getattr(exc, "response", None), "headers", None) or {}
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        try:
            wait = float(headers.get(name) or "") * scale
        except (TypeError, ValueError):
            continue
        if 0 <= wait <= 60:
            return wait
    return min(8.0, 0.5 * 2**attempt) * random.uniform(0.75, 1.0)


def _retryable(exc: Exception) -> bool:
    """Rate limits, server errors and refused connections are worth retrying; timeouts are not (they would
    multiply the wait), nor is anything the request itself got wrong."""
    import openai

    if isinstance(exc, openai.APITimeoutError):
        return False
    if isinstance(exc, openai.RateLimitError):
        return "quota" not in _server_message(exc).lower()
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code >= 500 or exc.status_code in (408, 409)
    return isinstance(exc, openai.APIConnectionError)


class ChatModel:
    """One chat model behind three calls: structured output, plain completion, and streaming.

    Every call retries rate limits (429), server errors (5xx) and refused connections with exponential backoff,
    honouring Retry-After, and turns what still fails into an LLMError that says what to do.
    """

    def __init__(self, llm: Any, *, mode: str, model: str, base_url: str | None, timeout: float,
                 max_retries: int = MAX_RETRIES, max_tokens: int = 1024, secrets: Sequence[str] = ()) -> None:
        self.llm = llm
        self.mode = mode
        self.model = model
        self.base_url = base_url
        self.timeout = timeout
        self.max_retries = max_retries
        self.max_tokens = max_tokens
        self._secrets = tuple(s for s in secrets if s)

    def __repr__(self) -> str:
        return f"ChatModel(mode={self.mode!r}, model={self.model!r}, base_url={self.describe()['base_url']!r})"

    def describe(self) -> dict[str, str]:
        """Mode, model and server, for display (never the key, nor credentials in the URL)."""
        return {"mode": self.mode, "model": self.model, "base_url": redact_urls(self.base_url or OPENAI_URL)}

    @property
    def is_openai(self) -> bool:
        return self.base_url is None or "api.openai.com" in self.base_url

    def cost(self, usage: Usage) -> float | None:
        """Estimated USD cost of the usage, for OpenAI's own models only."""
        return estimate_cost(self.model, usage) if self.is_openai else None

    def _bound(self, max_tokens: int | None) -> Any:
        n = max_tokens or self.max_tokens
        update: dict[str, Any] = {"max_tokens": n}
        if not self.is_openai:
            # langchain-openai sends only `max_completion_tokens`, which llama.cpp's server ignores (and then
            # generates until its context is full); compatible servers all read `max_tokens`.
            update["extra_body"] = {**(getattr(self.llm, "extra_body", None) or {}), "max_tokens": n}
        return self.llm.model_copy(update=update) if hasattr(self.llm, "model_copy") else self.llm

    def _call(self, fn: Callable[[], Any]) -> Any:
        for attempt in range(self.max_retries + 1):
            try:
                return fn()
            except Exception as exc:
                if attempt < self.max_retries and _retryable(exc):
                    wait = _retry_delay(exc, attempt)
                    log.info("chat call retry model=%s error=%s attempt=%s wait_s=%.2f", self.model,
                             type(exc).__name__, attempt + 1, wait)
                    time.sleep(wait)
                    continue
                raise self._error(exc) from exc
        raise AssertionError("unreachable")

    def _error(self, exc: Exception) -> LLMError:
        err = translate_llm_error(exc, model=self.model, base_url=self.base_url, timeout=self.timeout,
                                  retries=self.max_retries, secrets=self._secrets)
        log.warning("chat call failed model=%s error=%s", self.model, type(exc).__name__)
        return err

    def invoke_structured(self, messages: Sequence[Message], schema: type[T],
                          max_tokens: int | None = None) -> tuple[T | None, Usage]:
        """The reply parsed into `schema` through function calling, or None when the model's call was malformed."""
        runnable = self._bound(max_tokens).with_structured_output(schema, method="function_calling", include_raw=True)
        out = self._call(lambda: runnable.invoke(list(messages)))
        usage = _usage_of(out["raw"], messages)
        if out.get("parsing_error") is not None or not isinstance(out.get("parsed"), schema):
            log.info("structured output unparsable model=%s error=%s", self.model,
                     type(out.get("parsing_error")).__name__)
            return None, usage
        return out["parsed"], usage

    def complete(self, messages: Sequence[Message], max_tokens: int | None = None) -> tuple[str, Usage]:
        """The reply's text and the tokens it took."""
        llm = self._bound(max_tokens)
        message = self._call(lambda: llm.invoke(list(messages)))
        return _text_of(message), _usage_of(message, messages)

    def stream(self, messages: Sequence[Message], usage: Usage | None = None,
               max_tokens: int | None = None) -> Iterator[str]:
        """Yield the reply's text as it arrives; `usage`, when given, is filled in at the end."""
        llm = self._bound(max_tokens)
        pieces: list[str] = []
        reported: dict[str, int] = {}
        chunks = self._call(lambda: _first_and_rest(llm.stream(list(messages))))  # retried until the first chunk
        try:
            for chunk in chunks:
                meta = getattr(chunk, "usage_metadata", None)
                if meta:
                    reported = dict(meta)
                text = _text_of(chunk)
                if text:
                    pieces.append(text)
                    yield text
        except Exception as exc:
            raise self._error(exc) from exc
        if usage is not None:
            if reported.get("input_tokens") or reported.get("output_tokens"):
                usage.add(Usage(int(reported.get("input_tokens", 0)), int(reported.get("output_tokens", 0)), 1))
            else:
                usage.add(Usage(sum(count_tokens(m["content"]) for m in messages), count_tokens("".join(pieces)), 1,
                                estimated=True))


def _first_and_rest(iterator: Iterator[Any]) -> Iterator[Any]:
    """Pull the first item now (so connection errors surface here), then hand back the whole stream."""
    iterator = iter(iterator)
    try:
        first = next(iterator)
    except StopIteration:
        return iter(())
    return itertools.chain([first], iterator)


def _temperature(model: str) -> float | None:
    # Reasoning models accept only their default temperature.
    return None if re.match(r"^(o\d|gpt-5)", model.split("/")[-1]) else 0.0


def get_chat_model(
    settings: Settings, *, max_retries: int = MAX_RETRIES, max_tokens: int = 1024
) -> ChatModel | None:
    """Get the chat model the settings name, or None for extractive mode (no model at all).

    Raises:
        ConfigError: mode 'openai' without a key or a base URL, or langchain-openai is missing.
    """
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
    base_url = (settings.openai_base_url or "").strip().rstrip("/") or None
    mode = settings.llm_mode
    if mode == "auto":
        mode = "openai" if key or base_url else "extractive"
    match mode:
        case "extractive":
            return None
        case "openai":
            if not key and not base_url:
                raise ConfigError(
                    "No key found for the chat model - set OPENAI_API_KEY, or OPENAI_BASE_URL for a local "
                    "OpenAI-compatible server (Ollama, vLLM, llama.cpp, LM Studio), or SHIFTBRIEF_LLM=extractive"
                )
            try:
                from langchain_openai import ChatOpenAI
            except ImportError as exc:
                raise ConfigError("langchain-openai is not installed; run `pip install langchain-openai`") from exc
            llm = ChatOpenAI(
                model=settings.llm_model,
                api_key=SecretStr(key or "not-needed"),  # local servers ignore it, the SDK insists on one
                base_url=base_url,
                timeout=settings.llm_timeout,
                max_retries=0,  # ChatModel retries, without retrying timeouts (which would multiply the wait)
                temperature=_temperature(settings.llm_model),
                stream_usage=True,
                use_responses_api=False,
            )
            log.info("chat model mode=openai model=%s base_url=%s", settings.llm_model,
                     redact_urls(base_url or OPENAI_URL))
            return ChatModel(llm, mode="openai", model=settings.llm_model, base_url=base_url,
                             timeout=settings.llm_timeout, max_retries=max_retries, max_tokens=max_tokens,
                             secrets=(key or "", *url_secrets(base_url)))
    raise ConfigError(f"Unknown chat mode {settings.llm_mode!r}; use 'auto', 'extractive' or 'openai'")
