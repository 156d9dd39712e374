"""The memory-block recurrence of BlockLSTM with a hand-written backward pass.

Autograd records some twenty small operations a step, and for a few dozen cells their
bookkeeping costs several times the arithmetic. `BlockCells.apply` runs the same recurrence
forward without a graph, keeps what the backward pass needs, and walks back through time
itself; the weight and peephole gradients are summed over all steps in one contraction each
after the loop. `block_cells_reference` is the plain autograd version it is checked against
(tests/test_eck2002.py, torch.autograd.gradcheck in float64).

Notation, per member and stream: nb blocks, H cells, `e` (H, nb) maps a cell to its block.
Pre-activation columns: [input gates nb | forget gates nb | output gates nb | cell inputs H].

    z   = zx_t + h_{t-1} W
    a_i = z_i + (p_i * s_{t-1}) e     a_f = z_f + (p_f * s_{t-1}) e
    s_t = (sig(a_f) e') * s_{t-1} + (sig(a_i) e') * tanh(z_c)
    a_o = z_o + (p_o * s_t) e
    h_t = (sig(a_o) e') * q(s_t)      q = identity or tanh
"""

from __future__ import annotations

import torch


def block_cells_reference(
    zx, h, s, w_rec, peep, expand, identity: bool, peepholes: bool = True, state_clip: float = 0.0
):
    """zx (T, E, B, G), h and s (E, B, H), w_rec (E, H, G), peep (E, 3, H), expand (H, nb) ->
    (cell outputs (T, E, B, H), last h, last s). state_clip > 0 clamps the states to that
    magnitude after each update."""
    nb = expand.shape[1]
    et = expand.T
    p_in, p_forget, p_out = (peep[:, k, None, :] for k in range(3))
    outs = []
    for t in range(zx.shape[0]):
        z = torch.baddbmm(zx[t], h, w_rec)
        zi, zf, zo = z[..., :nb], z[..., nb : 2 * nb], z[..., 2 * nb : 3 * nb]
        if peepholes:  # input and forget gates see the previous state
            zi, zf = zi + (p_in * s) @ expand, zf + (p_forget * s) @ expand
        s = (torch.sigmoid(zf) @ et) * s + (torch.sigmoid(zi) @ et) * torch.tanh(z[..., 3 * nb :])
        if state_clip > 0:
            s = s.clamp(-state_clip, state_clip)
        if peepholes:  # the output gate sees the new one
            zo = zo + (p_out * s) @ expand
        h = (torch.sigmoid(zo) @ et) * (s if identity else torch.tanh(s))
        outs.append(h)
    return torch.stack(outs), h, s


class BlockCells(torch.autograd.Function):
    """apply(zx, h0, s0, w_rec, peep, expand, identity, peepholes, state_clip) -> (hs, h_T, s_T),
    as block_cells_reference; expand and the flags get no gradient."""

    @staticmethod
    def forward(ctx, zx, h, s, w_rec, peep, expand, identity: bool, peepholes: bool, state_clip: float = 0.0):
        T, nb = zx.shape[0], expand.shape[1]
        et = expand.T
        p_in, p_forget, p_out = (peep[:, k, None, :] for k in range(3))
        hs = zx.new_empty(T + 1, *h.shape)  # h_{t-1} for t = 0..T
        ss = zx.new_empty(T + 1, *s.shape)
        gates = zx.new_empty(T, *h.shape[:2], 3 * nb)  # sig(a_i), sig(a_f), sig(a_o)
        cell_in = zx.new_empty(T, *s.shape)  # tanh(z_c)
        hs[0], ss[0] = h, s
        for t in range(T):
            z = torch.baddbmm(zx[t], h, w_rec)
            a = z[..., : 3 * nb]
            if peepholes:
                a = a.clone()
                a[..., :nb] += (p_in * s) @ expand
                a[..., nb : 2 * nb] += (p_forget * s) @ expand
            g = gates[t]
            torch.sigmoid(a[..., : 2 * nb], out=g[..., : 2 * nb])
            c = torch.tanh(z[..., 3 * nb :], out=cell_in[t])
            s = (g[..., nb : 2 * nb] @ et) * s + (g[..., :nb] @ et) * c
            if state_clip > 0:
                s = s.clamp(-state_clip, state_clip)
            zo = a[..., 2 * nb :]
            if peepholes:
                zo = zo + (p_out * s) @ expand
            torch.sigmoid(zo, out=g[..., 2 * nb :])
            h = (g[..., 2 * nb :] @ et) * (s if identity else torch.tanh(s))
            hs[t + 1], ss[t + 1] = h, s
        ctx.save_for_backward(hs, ss, gates, cell_in, w_rec, peep, expand)
        ctx.flags = (identity, peepholes, state_clip)
        return hs[1:].clone(), h.clone(), s.clone()

    @staticmethod
    def backward(ctx, d_hs, d_h_last, d_s_last):
        hs, ss, gates, cell_in, w_rec, peep, expand = ctx.saved_tensors
        identity, peepholes, state_clip = ctx.flags
        T, nb = gates.shape[0], expand.shape[1]
        et = expand.T
        p_in, p_forget, p_out = (peep[:, k, None, :] for k in range(3))
        w_t = w_rec.transpose(1, 2)
        dz = gates.new_empty(T, *gates.shape[1:3], w_rec.shape[2])
        dh = d_h_last if d_h_last is not None else torch.zeros_like(hs[0])
        ds = d_s_last if d_s_last is not None else torch.zeros_like(ss[0])
        for t in range(T - 1, -1, -1):
            if d_hs is not None:
                dh = dh + d_hs[t]
            s, s_prev, g, c = ss[t + 1], ss[t], gates[t], cell_in[t]
            gi, gf, go = g[..., :nb], g[..., nb : 2 * nb], g[..., 2 * nb :]
            q = s if identity else torch.tanh(s)
            dq = dh * (go @ et)
            ds = ds + (dq if identity else dq * (1 - q * q))
            dao = ((dh * q) @ expand) * go * (1 - go)
            if peepholes:
                ds = ds + (dao @ et) * p_out
            if state_clip > 0:  # no gradient through a clamped state
                ds = ds * (s.abs() < state_clip)
            dai = ((ds * c) @ expand) * gi * (1 - gi)
            daf = ((ds * s_prev) @ expand) * gf * (1 - gf)
            d = dz[t]
            d[..., :nb], d[..., nb : 2 * nb], d[..., 2 * nb : 3 * nb] = dai, daf, dao
            d[..., 3 * nb :] = ds * (gi @ et) * (1 - c * c)
            ds = ds * (gf @ et)
            if peepholes:
                ds = ds + (dai @ et) * p_in + (daf @ et) * p_forget
            dh = torch.bmm(d, w_t)
        d_w = torch.einsum("tebh,tebg->ehg", hs[:-1], dz)
        d_peep = None
        if peepholes:
            to_cells = lambda cols: dz[..., cols] @ et  # noqa: E731  (T, E, B, H)
            d_peep = torch.stack(
                [
                    (to_cells(slice(0, nb)) * ss[:-1]).sum((0, 2)),
                    (to_cells(slice(nb, 2 * nb)) * ss[:-1]).sum((0, 2)),
                    (to_cells(slice(2 * nb, 3 * nb)) * ss[1:]).sum((0, 2)),
                ],
                1,
            )
        return dz, dh, ds, d_w, d_peep, None, None, None, None
