"""An LSTM that attends over its own last `window` outputs (Bahdanau additive attention), the
idea of Magenta's attention melody RNN as seed 002 describes it: a note can be copied from a
bar or two back without the memory having to carry it.

At step t, with LSTM outputs h_1..h_t:
    a_i = v . tanh(W_k h_i + W_q h_t)  for the `window` outputs i = t-window .. t-1
    c_t = sum_i softmax(a)_i h_i      (zero when there is no earlier output)
    logits_t = head([h_t, c_t])
The state is (LSTM state, the last `window` outputs), so a sequence fed in pieces gives the
same logits as fed whole. forward(x, targets=None, state=None) -> (logits, loss, state)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

from improvise.nn.losses import event_loss


@dataclass
class AttentionRNNConfig:
    input_size: int  # width of an input vector
    n_events: int  # classes of the output
    hidden: int = 128  # LSTM units
    window: int = 40  # earlier outputs attended to (seed 002: the last 40)
    attention: int = 64  # width of the additive attention's hidden layer
    dropout: float = 0.2  # before the output layer (training only)

    def to_dict(self) -> dict:
        return asdict(self)


class AttentionRNN(nn.Module):
    def __init__(self, config: AttentionRNNConfig):
        super().__init__()
        self.config = c = config
        self.rnn = nn.LSTM(c.input_size, c.hidden)
        self.key = nn.Linear(c.hidden, c.attention, bias=False)
        self.query = nn.Linear(c.hidden, c.attention)
        self.score = nn.Linear(c.attention, 1, bias=False)
        self.drop = nn.Dropout(c.dropout)
        self.head = nn.Linear(2 * c.hidden, c.n_events)

    def forward(self, x: torch.Tensor, targets: torch.Tensor | None = None, state=None):
        c = self.config
        t_len, batch = x.shape[:2]
        rnn_state, past = (None, None) if state is None else state
        h, rnn_state = self.rnn(x, rnn_state)
        if past is None:
            past = h.new_zeros(0, batch, c.hidden)
        mem = torch.cat([past, h])  # (P + T, B, H)
        n_past = len(past)
        # padded index i + window is mem[i]; the window before step t (mem index n_past + t) is
        # padded[n_past + t .. n_past + t + window - 1]: slot w of every step is one slice
        padded = torch.cat([mem.new_zeros(c.window, batch, c.hidden), mem])[
            n_past : n_past + t_len + c.window - 1
        ]
        proj, query = self.key(padded), self.query(h)  # (T + W - 1, B, A), (T, B, A)
        scores = torch.stack(
            [self.score(torch.tanh(proj[w : w + t_len] + query)).squeeze(-1) for w in range(c.window)], -1
        )  # (T, B, W)
        first_real = (c.window - n_past - torch.arange(t_len)).clamp(min=0)  # window slots before any output
        valid = torch.arange(c.window)[None, :] >= first_real[:, None]  # (T, W)
        scores = scores.masked_fill(~valid[:, None, :], float("-inf"))
        weights = torch.softmax(scores, dim=-1).nan_to_num(0.0)  # rows with no earlier output: zeros
        context = sum(weights[..., w, None] * padded[w : w + t_len] for w in range(c.window))  # (T, B, H)
        logits = self.head(self.drop(torch.cat([h, context], -1)))
        state = (rnn_state, mem[-c.window :])
        return logits, event_loss(logits, targets), state
