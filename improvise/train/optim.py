"""Adam through PyTorch's fused kernel, without torch.optim; the global gradient-norm clip
without torch.nn.utils' layers of wrappers.

`torch.optim.Adam(fused=True)` updates every parameter with one call of `torch._fused_adam_`;
`FusedAdam` makes the same call with the same arguments and state, so it follows the same
path bit for bit (tests/test_model_train.py checks it). What it leaves out is torch.optim's
machinery: every `Optimizer` method is wrapped to disable TorchDynamo and imports
`torch._dynamo` on its first call, which costs 0.6 to 1.3 s of a 2-core machine's start-up,
more than the whole training of the blues model (issue 14). No hooks, no closures, no
amsgrad, one parameter group, parameters of one device; `param_groups[0]["lr"]` is read at
every step, so a schedule may change it.

`clip_grad_norm_` makes the tensor calls of `torch.nn.utils.clip_grad_norm_(params, max_norm,
foreach=True)` for parameters of one device and dtype, the same values, in a fifth of its time
(it runs once an update, and the blues model's update takes about 3 ms).
"""

from __future__ import annotations

import torch


class FusedAdam:
    """Adam (Kingma & Ba) with L2 weight decay, as torch.optim.Adam(params, lr, fused=True)."""

    def __init__(
        self,
        params,
        lr: float,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ):
        self.params = list(params)
        self.param_groups = [{"params": self.params, "lr": lr, "initial_lr": lr}]
        self.betas, self.eps, self.weight_decay = betas, eps, weight_decay
        self.exp_avg = [torch.zeros_like(p, memory_format=torch.preserve_format) for p in self.params]
        self.exp_avg_sq = [torch.zeros_like(p, memory_format=torch.preserve_format) for p in self.params]
        self.steps = [torch.zeros((), dtype=torch.float32) for _ in self.params]

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.params:
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad.zero_()

    @torch.no_grad()
    def step(self) -> None:
        """One update of the parameters that have a gradient (torch.optim skips the others too)."""
        live = [k for k, p in enumerate(self.params) if p.grad is not None]
        if not live:
            return
        steps = [self.steps[k] for k in live]
        torch._foreach_add_(steps, 1)
        torch._fused_adam_(
            [self.params[k] for k in live],
            [self.params[k].grad for k in live],
            [self.exp_avg[k] for k in live],
            [self.exp_avg_sq[k] for k in live],
            [],
            steps,
            amsgrad=False,
            lr=self.param_groups[0]["lr"],
            beta1=self.betas[0],
            beta2=self.betas[1],
            weight_decay=self.weight_decay,
            eps=self.eps,
            maximize=False,
            grad_scale=None,
            found_inf=None,
        )


@torch.no_grad()
def clip_grad_norm_(params: list[torch.Tensor], max_norm: float) -> torch.Tensor:
    """Scale the gradients of `params` (one device and dtype) so that their global 2-norm is at
    most `max_norm`; returns the norm before clipping."""
    grads = [p.grad for p in params if p.grad is not None]
    if not grads:
        return torch.tensor(0.0)
    total = torch.linalg.vector_norm(torch.stack(torch._foreach_norm(grads, 2.0)), 2.0)
    torch._foreach_mul_(grads, torch.clamp(float(max_norm) / (total + 1e-6), max=1.0))
    return total
