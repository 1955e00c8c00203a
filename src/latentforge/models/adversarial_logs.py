"""What a discriminator step logs, for people and for the health monitor.

With r, f the raw scores of a batch of real and of generated images:

- ``d_real``, ``d_fake``: mean D(x) and D(G(z)); probabilities sigmoid(score) for the losses
  that read scores as logits (minimax, non-saturating), raw scores otherwise (a critic);
- ``accuracy``: (share of r above t + share of f below t) / 2, with t the loss's decision
  threshold (0 for logits, 0.5 for least squares), or for a critic, whose scores have no fixed
  origin, the midpoint (mean r + mean f) / 2;
- ``score_scale``: (mean |r| + mean |f|) / 2, the size of the raw scores (exploding critics);
- ``loss_vs_chance``: L_D divided by the loss of a discriminator that gives every image the
  threshold score, i.e. cannot tell at all: 1 at chance, towards 0 as D wins, above 1 as G
  wins. Absent for critics, whose loss has no chance level.
"""

from __future__ import annotations

import torch
from torch import Tensor

from latentforge.losses import AdversarialLoss


@torch.no_grad()
def score_logs(
    loss: AdversarialLoss, real_scores: Tensor, fake_scores: Tensor, d_loss: Tensor
) -> dict[str, Tensor]:
    """The values above for one discriminator step (all detached scalars)."""
    r, f = real_scores.detach().float(), fake_scores.detach().float()
    if loss.decision_threshold is None:
        threshold = (r.mean() + f.mean()) / 2.0
    else:
        threshold = torch.tensor(loss.decision_threshold, device=r.device)
    shown = torch.sigmoid if loss.scores_are_logits else (lambda scores: scores)
    logs = {
        "d_real": shown(r).mean(),
        "d_fake": shown(f).mean(),
        "accuracy": 0.5 * ((r > threshold).float().mean() + (f < threshold).float().mean()),
        "score_scale": 0.5 * (r.abs().mean() + f.abs().mean()),
    }
    if loss.decision_threshold is not None:
        at_threshold = threshold.reshape(1)
        chance = loss.discriminator_loss(at_threshold, at_threshold)
        logs["loss_vs_chance"] = d_loss.detach().float() / chance.clamp_min(1e-12)
    return logs
