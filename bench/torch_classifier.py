#!/usr/bin/env python3
"""PyTorch + transformers reference for `cargo run --release -p blogbot-classifier --example bench`: the same
MiniLM weights (weights/encoder, loaded with `AutoModel`), posts, windows, batching, heads and training step,
on `threads` CPU threads. Prints one JSON line with the same keys as the candle side.

Usage: torch_classifier.py POSTS_DIR LIMIT THREADS [MAX_LEN STRIDE RUNS TRAIN_STEPS]   (LIMIT 0: all posts)

What is mirrored from blogbot_classifier: the tokenizer (the same tokenizer.json through the same `tokenizers`
library, no special tokens, no truncation), `tokenize::windows` (max_len windows overlapping by stride,
[CLS] ... [SEP]), `infer::Classifier::score`'s batching (windows of a call sorted by length, 32 per forward pass,
padded to the batch's longest), the three heads on `[CLS; mean; max]` pooling and token states, and the
training step (dropout 0.1, BCE + per-column BCE + token-weighted cross-entropy, AdamW with no decay on biases
and LayerNorm, global-norm clipping at 1.0). Not mirrored: merging window outputs back into spans (per-token
Python work that would only slow the reference down).
"""
import json
import os
import statistics
import sys
import time

import torch
from tokenizers import Tokenizer
from transformers import AutoModel

N_TYPES, N_TAGS, WINDOWS_PER_PASS = 11, 23, 32


def windows(n: int, max_len: int, stride: int) -> list[range]:
    """`blogbot_classifier::tokenize::windows`."""
    content = max_len - 2
    if n <= content:
        return [range(0, n)]
    out, start = [], 0
    while start + content < n:
        out.append(range(start, start + content))
        start += content - stride
    return out + [range(n - content, n)]


class PiiNet(torch.nn.Module):
    """`blogbot_classifier::model::PiiModel`: the encoder plus document, type and tag heads."""

    def __init__(self, encoder_dir: str):
        super().__init__()
        self.bert = AutoModel.from_pretrained(encoder_dir, local_files_only=True, add_pooling_layer=False)
        h = self.bert.config.hidden_size
        self.doc, self.types = torch.nn.Linear(3 * h, 1), torch.nn.Linear(3 * h, N_TYPES)
        self.tags = torch.nn.Linear(h, N_TAGS)
        self.drop = torch.nn.Dropout(0.1)

    def forward(self, ids, mask):
        hidden = self.bert(input_ids=ids, attention_mask=mask).last_hidden_state
        m = mask.unsqueeze(2).float()
        mean = (hidden * m).sum(1) / m.sum(1)
        mx = (hidden + (m * 1e4 - 1e4)).amax(1)
        pooled = self.drop(torch.cat([hidden[:, 0], mean, mx], 1))
        return self.doc(pooled).squeeze(1), self.types(pooled), self.tags(self.drop(hidden))


def pad(seqs: list[list[int]], pad_id: int):
    t = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), t), pad_id, dtype=torch.long)
    mask = torch.zeros((len(seqs), t), dtype=torch.long)
    for i, s in enumerate(seqs):
        ids[i, : len(s)] = torch.tensor(s)
        mask[i, : len(s)] = 1
    return ids, mask


def main(posts_dir: str, limit: int, threads: int, max_len: int, stride: int, runs: int, train_steps: int) -> None:
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    encoder = os.path.join(root, "weights", "encoder")
    tok = Tokenizer.from_file(os.path.join(encoder, "tokenizer.json"))
    tok.no_truncation()
    tok.no_padding()
    cls, sep, pad_id = (tok.token_to_id(t) for t in ("[CLS]", "[SEP]", "[PAD]"))
    names = sorted(f for f in os.listdir(posts_dir) if f.endswith((".md", ".txt")))
    if 0 < limit < len(names):
        names = [names[i * len(names) // limit] for i in range(limit)]  # as the candle side's --limit
    texts = [open(os.path.join(posts_dir, f), encoding="utf-8").read() for f in names]
    net = PiiNet(encoder)

    # Training: the same 16 full windows as the candle side.
    examples, n_windows, n_tokens = [], 0, 0
    for text in texts:
        ids = tok.encode(text, add_special_tokens=False).ids
        n_tokens += len(ids)
        for w in windows(len(ids), max_len, stride):
            n_windows += 1
            if len(examples) < 16 and len(w) == max_len - 2:
                examples.append([cls] + ids[w.start : w.stop] + [sep])
    ids, mask = pad(examples, pad_id)
    b, t = ids.shape
    doc_t = torch.tensor([float(i % 2 == 0) for i in range(b)])
    types_t = doc_t.unsqueeze(1).repeat(1, N_TYPES)
    tags_t = torch.zeros((b, t), dtype=torch.long)
    tag_w = mask.float().clone()
    tag_w[:, 0] = 0
    tag_w[torch.arange(b), mask.sum(1) - 1] = 0
    decay = [p for n, p in net.named_parameters() if not (n.endswith(".bias") or "LayerNorm" in n)]
    no_decay = [p for n, p in net.named_parameters() if n.endswith(".bias") or "LayerNorm" in n]
    groups = [{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}]
    opt = torch.optim.AdamW(groups, lr=1e-5)
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    net.train()
    step_secs = []
    for step in range(train_steps + 1):
        t0 = time.perf_counter()
        doc, types, tags = net(ids, mask)
        nll = torch.nn.functional.cross_entropy(tags.reshape(-1, N_TAGS), tags_t.reshape(-1), reduction="none")
        loss = (bce(doc, doc_t) + bce(types, types_t, pos_weight=torch.full((N_TYPES,), 5.0))
                + (nll * tag_w.reshape(-1)).sum() / tag_w.sum())
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()
        if step > 0:
            step_secs.append(time.perf_counter() - t0)
    train_rate = b / statistics.median(step_secs)

    # Inference, as `Classifier::score` batches it.
    net.eval()

    def score(call: list[str]) -> None:
        wins = []
        for text in call:
            ids = tok.encode(text, add_special_tokens=False).ids
            wins += [[cls] + ids[w.start : w.stop] + [sep] for w in windows(len(ids), max_len, stride)]
        wins.sort(key=len, reverse=True)
        for k in range(0, len(wins), WINDOWS_PER_PASS):
            doc, types, tags = net(*pad(wins[k : k + WINDOWS_PER_PASS], pad_id))
            torch.sigmoid(doc).tolist(), torch.sigmoid(types).tolist(), torch.softmax(tags, -1).tolist()

    infer = {}
    with torch.inference_mode():
        score(texts[:8])  # warm-up
        for batch in (1, 8, 32):
            rates = []
            for _ in range(runs):
                t0 = time.perf_counter()
                for k in range(0, len(texts), batch):
                    score(texts[k : k + batch])
                rates.append(len(texts) / (time.perf_counter() - t0))
            infer[str(batch)] = statistics.median(rates)
    print(json.dumps({
        "engine": f"torch {torch.__version__}", "threads": torch.get_num_threads(), "posts": len(texts),
        "windows": n_windows, "tokens": n_tokens, "max_len": max_len, "stride": stride, "runs": runs,
        "attention": net.bert.config._attn_implementation, "infer_posts_per_sec": infer,
        "train_batch": [b, t], "train_steps": train_steps, "train_examples_per_sec": train_rate,
    }))


if __name__ == "__main__":
    a = sys.argv[1:]
    main(a[0], *(int(x) for x in (a[1:] + ["128", "32", "3", "3"][len(a) - 3:])))
