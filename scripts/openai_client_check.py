#!/usr/bin/env python3
"""Drives blogbot's OpenAI-compatible routes with the official `openai` client: the model list, one plain chat
completion, one completion under a JSON schema (must parse and carry the required keys with their types) and one
streamed completion. Exits non-zero on the first failure.

Usage: .venv-test/bin/python scripts/openai_client_check.py --base-url http://127.0.0.1:8080 [--api-key KEY]
(scripts/setup-test-tools.sh makes .venv-test; the key defaults to $OPENAI_API_KEY, then to a placeholder: a
server without a keys file lets loopback callers in with any key.)
"""

import argparse
import json
import os
import sys

import openai

SCHEMA = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
    "required": ["name", "age"],
    "additionalProperties": False,
}


def check(cond, what):
    if not cond:
        raise SystemExit(f"FAIL: {what}")
    print(f"ok: {what}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--base-url", required=True, help="the server, e.g. http://127.0.0.1:8080 (without /v1)")
    ap.add_argument("--api-key", default=os.environ.get("OPENAI_API_KEY") or "blogbot-test-key")
    ap.add_argument("--max-tokens", type=int, default=48)
    args = ap.parse_args()

    client = openai.OpenAI(base_url=args.base_url.rstrip("/") + "/v1", api_key=args.api_key, max_retries=0, timeout=300)
    print(f"openai {openai.__version__} against {client.base_url}")

    models = client.models.list()
    ids = [m.id for m in models.data]
    check(len(ids) == 1, f"one model listed: {ids}")
    model = ids[0]

    plain = client.chat.completions.create(
        model=model,
        messages=[
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "user", "content": "Say hello to a new reader of my blog in one sentence."},
        ],
        max_tokens=args.max_tokens,
        temperature=0,
    )
    choice = plain.choices[0]
    check(plain.object == "chat.completion" and plain.id.startswith("chatcmpl-"), f"plain: object and id ({plain.id})")
    check(choice.message.role == "assistant", "plain: assistant message")
    check(bool(choice.message.content and choice.message.content.strip()), f"plain: content {choice.message.content!r}")
    check(choice.finish_reason in ("stop", "length"), f"plain: finish_reason {choice.finish_reason}")
    u = plain.usage
    check(u.prompt_tokens > 0 and u.completion_tokens > 0, f"plain: usage {u.prompt_tokens}+{u.completion_tokens}")
    check(u.total_tokens == u.prompt_tokens + u.completion_tokens, "plain: total_tokens adds up")

    structured = client.chat.completions.create(
        model=model,
        messages=[
            {"role": "system", "content": "You extract facts as JSON."},
            {"role": "user", "content": "Maria Lopez is 34 years old. Give her name and age."},
        ],
        max_tokens=64,
        response_format={"type": "json_schema", "json_schema": {"name": "person", "strict": True, "schema": SCHEMA}},
    )
    content = structured.choices[0].message.content
    try:
        data = json.loads(content)
    except json.JSONDecodeError as e:
        raise SystemExit(f"FAIL: json_schema: content is not JSON ({e}): {content!r}")
    check(isinstance(data, dict), f"json_schema: an object {data}")
    check(isinstance(data.get("name"), str), "json_schema: `name` is a string")
    check(isinstance(data.get("age"), int) and not isinstance(data.get("age"), bool), "json_schema: `age` is an integer")
    check(set(data) <= {"name", "age"}, "json_schema: no other keys")

    pieces, finish, roles = [], None, []
    stream = client.chat.completions.create(
        model=model,
        messages=[{"role": "user", "content": "Name three colours."}],
        max_tokens=args.max_tokens,
        stream=True,
        stream_options={"include_usage": True},
    )
    usage = None
    chunks = 0
    for chunk in stream:
        chunks += 1
        if chunk.object != "chat.completion.chunk":
            raise SystemExit(f"FAIL: stream: chunk object {chunk.object!r}")
        if chunk.usage is not None:
            usage = chunk.usage
        for c in chunk.choices:
            if c.delta.role:
                roles.append(c.delta.role)
            if c.delta.content:
                pieces.append(c.delta.content)
            if c.finish_reason:
                finish = c.finish_reason
    text = "".join(pieces)
    check(chunks >= 3, f"stream: {chunks} chunks")
    check(roles[:1] == ["assistant"], "stream: the first delta carries the role")
    check(bool(text.strip()), f"stream: text {text!r}")
    check(finish in ("stop", "length"), f"stream: finish_reason {finish}")
    check(usage is not None and usage.completion_tokens > 0, f"stream: usage chunk {usage}")
    print("openai client check passed")


if __name__ == "__main__":
    try:
        main()
    except openai.OpenAIError as e:
        print(f"FAIL: {type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(1)
