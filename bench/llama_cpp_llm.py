#!/usr/bin/env python3
"""llama.cpp reference for `blogbot-server bench-llm`: the same GGUF, prompt, thread count and greedy decoding,
through llama-cpp-python. Prints one JSON line with prefill and decode tokens/s (medians after one warm-up)."""
import json
import statistics
import sys
import time

from llama_cpp import Llama


def main(gguf: str, prompt_file: str, threads: int, max_tokens: int, runs: int) -> None:
    prompt = open(prompt_file, encoding="utf-8").read().strip()
    llm = Llama(model_path=gguf, n_ctx=2048, n_threads=threads, n_threads_batch=threads, verbose=False, seed=0)
    msgs = [{"role": "user", "content": prompt}]
    prefill, decode, last = [], [], None
    for i in range(runs + 1):
        llm.reset()
        t0 = time.perf_counter()
        first = None
        n = 0
        for chunk in llm.create_chat_completion(msgs, max_tokens=max_tokens, temperature=0.0, top_k=1, stream=True):
            if chunk["choices"][0]["delta"].get("content"):
                n += 1
                if first is None:
                    first = time.perf_counter()
        end = time.perf_counter()
        if i == 0 or first is None:
            continue
        # Prompt length from the chat template as llama.cpp applied it.
        last = llm.n_tokens - n
        prefill.append(last / (first - t0))
        decode.append((n - 1) / (end - first) if n > 1 else 0.0)
    print(json.dumps({"engine": "llama.cpp", "runs": runs, "prompt_tokens": last,
                      "prefill_tok_per_sec": statistics.median(prefill), "decode_tok_per_sec": statistics.median(decode)}))


if __name__ == "__main__":
    gguf, prompt_file, threads, max_tokens, runs = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    main(gguf, prompt_file, threads, max_tokens, runs)
