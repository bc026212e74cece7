"""A remote engine: a stronger computer on the user's network answers instead of the local
model, through the OpenAI chat-completions API with streaming (llama.cpp's server, Ollama,
vLLM, llama-cpp-python's server).

Conversation text then leaves this computer for that server; the window says so whenever the
remote engine is on. It has the same verbs as ``LocalLLM`` that the conversation uses, so the
call pipeline does not change. Failures become ``RemoteUnavailable`` with words for the user;
the conversation turns them into a spoken apology (desktop.call.session).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from urllib.parse import urlparse

from desktop.brain.llm import EngineUnavailable, Sampling
from desktop.brain.prompt import Message, PersonaPrompt, sanitize
from desktop.errors import HearthError, require

log = logging.getLogger(__name__)


class RemoteUnavailable(EngineUnavailable):
    pass


def check_server_url(url: str) -> str:
    """An OpenAI-compatible server's address as Hearth will use it, or HearthError saying
    what is wrong with it (a scheme, a host)."""
    text = url.strip()
    parsed = urlparse(text if "://" in text else f"http://{text}")
    problem = None
    if parsed.scheme not in ("http", "https"):
        problem = f"it starts with {parsed.scheme}://, and Hearth speaks http:// or https://"
    elif not parsed.hostname:
        problem = "it names no computer"
    elif parsed.username or parsed.password:
        problem = "it carries a user name or password, which would be saved in plain text"
    else:
        try:
            parsed.port  # noqa: B018 - raises on a port that is not a number
        except ValueError:
            problem = "its port is not a number"
    if problem:
        raise HearthError(f"{url!r} is not a server address Hearth can use: {problem}.",
                          "Give it as http://HOST:PORT, e.g. http://192.168.1.20:8080.")
    return parsed.geturl().rstrip("/")


def chat_messages(persona: PersonaPrompt, history: list[Message]) -> list[dict]:
    """The conversation as chat messages. The server applies its own template, so content is
    sanitized here: nothing in it can open or close a role."""
    messages = [{"role": "system", "content": sanitize(persona.system_text())}]
    for message in history:
        if message.role == "memory":
            messages.append({"role": "system",
                             "content": f"<memory>\n{sanitize(message.text)}\n</memory>"})
        elif message.role == "system":
            messages.append({"role": "system", "content": sanitize(message.text)})
        else:
            role = "assistant" if message.role == "assistant" else "user"
            messages.append({"role": role, "content": sanitize(message.text)})
    return messages


class RemoteLLM:
    def __init__(self, base_url: str, model: str = "default", api_key: str | None = None,
                 client=None, connect_timeout_s: float = 5.0,
                 read_timeout_s: float = 15.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.model_name = model
        self.api_key = api_key
        self._client = client
        self._timeouts = (connect_timeout_s, read_timeout_s)

    @property
    def host(self) -> str:
        return urlparse(self.base_url).netloc or self.base_url

    def disclosure(self) -> str:
        return (f"Replies come from {self.host}: your conversation text leaves this computer "
                "for that server.")

    def _http(self):
        if self._client is None:
            httpx = require("httpx", "httpx", "The remote engine")
            connect, read = self._timeouts
            self._client = httpx.Client(timeout=httpx.Timeout(read, connect=connect))
        return self._client

    # -- LanguageEngine (desktop.brain.engine); the server keeps its own prompt cache -------
    def overflow(self, persona: PersonaPrompt, history: list[Message], reserve: int) -> int:
        """The server keeps its own context; it says so when a prompt is too long."""
        return 0

    def count_tokens(self, text: str) -> int:
        # The server's tokenizer is not ours to call per line; ~4 bytes a token is the usual
        # ratio for these models, and the budget only needs to be roughly right.
        return len(text.encode("utf-8")) // 4 + 1

    def stream(
        self,
        persona: PersonaPrompt,
        history: list[Message],
        should_stop: Callable[[], bool] = lambda: False,
        sampling: Sampling | None = None,
        grammar: str | None = None,
        prefill_chunk: int | None = None,
    ) -> Iterator[str]:
        httpx = require("httpx", "httpx", "The remote engine")
        sampling = sampling or Sampling()
        body = {
            "model": self.model_name, "messages": chat_messages(persona, history),
            "stream": True, "temperature": sampling.temperature, "top_p": sampling.top_p,
            "max_tokens": sampling.max_tokens,
        }
        if sampling.seed is not None:
            body["seed"] = sampling.seed
        if sampling.logit_bias:
            body["logit_bias"] = {str(token): bias for token, bias in sampling.logit_bias.items()}
        if grammar:
            body["grammar"] = grammar  # llama.cpp's servers; others fall back to JSON mode
            body["response_format"] = {"type": "json_object"}
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        try:
            with self._http().stream("POST", f"{self.base_url}/v1/chat/completions",
                                     json=body, headers=headers) as response:
                if response.status_code >= 400:
                    response.read()
                    raise RemoteUnavailable(
                        f"The remote engine at {self.host} refused the request "
                        f"(HTTP {response.status_code}).",
                        "Check the server's address and model name in Settings.")
                for line in response.iter_lines():
                    if should_stop():
                        return
                    if not line.startswith("data:"):
                        continue
                    payload = line[5:].strip()
                    if payload == "[DONE]":
                        return
                    try:
                        delta = json.loads(payload)["choices"][0].get("delta", {})
                    except (ValueError, KeyError, IndexError) as error:
                        raise RemoteUnavailable(
                            f"The remote engine at {self.host} sent something that is not a "
                            "chat completion.", "Check that it is an OpenAI-compatible "
                            "server.") from error
                    text = delta.get("content")
                    if text:
                        yield text
        except httpx.TimeoutException as error:
            raise RemoteUnavailable(f"The remote engine at {self.host} stopped answering.",
                                    "Check that the server is running.") from error
        except httpx.TransportError as error:
            raise RemoteUnavailable(f"The remote engine at {self.host} cannot be reached "
                                    f"({type(error).__name__}).",
                                    "Check that the server is running and on the network.",
                                    ) from error
