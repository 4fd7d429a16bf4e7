# Copyright (c) OpenMMLab. All rights reserved.
from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

from mmvidseg.registry import TASK_UTILS
from ..utils.flow_warp import mask_boxes


@TASK_UTILS.register_module()
class GuideMaskPerturbation:
    """Corrupt flow-warped ground-truth masks into training guide masks.

    At test time the guide of frame t is the *prediction* of frame t - 1
    warped by the flow, with its errors; mask-propagation methods therefore
    train on ground truth corrupted the same way. Each mask gets, with its
    own random draws:

    * an affine jitter: a shift of up to ``shift`` times the box size and a
      scale in ``1 +/- scale`` about the box centre;
    * a dilation or an erosion (max-pooling of the mask or of its
      complement) by a square of side ``2 r + 1``, ``r`` up to
      ``max_morph``;
    * with probability ``drop_prob``, a dropped part: a rectangle of up to
      ``drop_size`` of the box's sides, inside the box, set to 0;
    * with probability ``box_prob``, instead of the two above, the filled
      box of the jittered mask: the guide of a re-start from a
      re-identified (detector) box (:class:`VOSReIDTracker`), which the
      network otherwise never sees in training.

    Args:
        shift (float): Largest shift, fraction of the box size.
        scale (float): Largest relative scale change.
        max_morph (int): Largest dilation / erosion radius in pixels.
        drop_prob (float): Probability of dropping a part.
        drop_size (float): Largest dropped part, fraction of the box.
        box_prob (float): Probability of a box guide. Defaults to 0 (no
            random draw is made then: the other corruptions are as
            without the option).
    """

    def __init__(self,
                 shift: float = 0.1,
                 scale: float = 0.1,
                 max_morph: int = 2,
                 drop_prob: float = 0.3,
                 drop_size: float = 0.4,
                 box_prob: float = 0.0) -> None:
        if shift < 0 or scale < 0 or max_morph < 0:
            raise ValueError('shift, scale and max_morph must be >= 0')
        if not all(0 <= p <= 1 for p in (drop_prob, drop_size, box_prob)):
            raise ValueError('drop_prob, drop_size and box_prob must be in '
                             f'[0, 1], got {drop_prob}, {drop_size}, '
                             f'{box_prob}')
        self.shift = shift
        self.scale = scale
        self.max_morph = int(max_morph)
        self.drop_prob = drop_prob
        self.drop_size = drop_size
        self.box_prob = box_prob

    def _uniform(self, n: int, bound: float, like: Tensor,
                 generator: Optional[torch.Generator]) -> Tensor:
        rand = torch.rand(n, generator=generator).to(like)
        return (2 * rand - 1) * bound

    def _affine(self, masks: Tensor, boxes: Tensor,
                generator) -> Tensor:
        """Shift and scale each (1, H, W) mask about its box centre."""
        n, _, h, w = masks.shape
        size = (boxes[:, 2:] - boxes[:, :2]).clamp(min=1)
        ctr = (boxes[:, :2] + boxes[:, 2:]) / 2
        shift = torch.stack([
            self._uniform(n, self.shift, masks, generator),
            self._uniform(n, self.shift, masks, generator)
        ], 1) * size
        s = 1 + self._uniform(n, self.scale, masks, generator)
        # output pixel p samples the input at ctr + (p - ctr - shift) / s
        norm = masks.new_tensor([w / 2, h / 2])
        theta = masks.new_zeros(n, 2, 3)
        theta[:, 0, 0] = 1 / s
        theta[:, 1, 1] = 1 / s
        ctr_n = ctr / norm - 1
        theta[:, :, 2] = ctr_n - (ctr_n + shift / norm) / s[:, None]
        grid = F.affine_grid(theta, list(masks.shape), align_corners=False)
        return F.grid_sample(masks, grid, align_corners=False)

    def _morph(self, masks: Tensor, generator) -> Tensor:
        """Dilate or erode each mask by a random radius."""
        out = masks.clone()
        for i in range(masks.size(0)):
            r = int(torch.randint(0, self.max_morph + 1, (1, ),
                                  generator=generator))
            if r == 0:
                continue
            k = 2 * r + 1
            if torch.rand(1, generator=generator) < 0.5:
                out[i] = F.max_pool2d(masks[i:i + 1], k, 1, r)[0]
            else:
                out[i] = -F.max_pool2d(-masks[i:i + 1], k, 1, r)[0]
        return out

    def _drop(self, masks: Tensor, boxes: Tensor, generator) -> Tensor:
        """Zero a random rectangle inside some boxes."""
        out = masks.clone()
        for i in range(masks.size(0)):
            if torch.rand(1, generator=generator) >= self.drop_prob:
                continue
            x1, y1, x2, y2 = boxes[i].tolist()
            r = torch.rand(4, generator=generator).tolist()
            dw = (x2 - x1) * self.drop_size * r[0]
            dh = (y2 - y1) * self.drop_size * r[1]
            px = x1 + (x2 - x1 - dw) * r[2]
            py = y1 + (y2 - y1 - dh) * r[3]
            out[i, :, int(py):int(py + dh + 0.5),
                int(px):int(px + dw + 0.5)] = 0
        return out

    def _box_guides(self, out: Tensor, jittered: Tensor,
                    generator) -> Tensor:
        """Replace some masks by the filled box of their jittered mask."""
        pick = torch.rand(out.size(0), generator=generator) < self.box_prob
        boxes, valid = mask_boxes(jittered[:, 0])
        out = out.clone()
        for i in torch.nonzero(pick.to(valid.device) & valid)[:, 0].tolist():
            x1, y1, x2, y2 = boxes[i].long().tolist()
            out[i] = 0
            out[i, :, y1:y2, x1:x2] = 1
        return out

    def __call__(self,
                 masks: Tensor,
                 generator: Optional[torch.Generator] = None
                 ) -> Tuple[Tensor, Tensor]:
        """Perturb masks.

        Args:
            masks (Tensor): 0/1 masks of shape (N, 1, H, W).
            generator (torch.Generator, optional): Random source (CPU).

        Returns:
            Tensor: Perturbed 0/1 masks of shape (N, 1, H, W) (empty masks
            stay empty).
        """
        if masks.dim() != 4 or masks.size(1) != 1:
            raise ValueError('expected (N, 1, H, W) masks, got shape '
                             f'{tuple(masks.shape)}')
        masks = masks.float()
        if masks.size(0) == 0:
            return masks
        boxes, _ = mask_boxes(masks[:, 0])
        jittered = (self._affine(masks, boxes, generator) > 0.5).float()
        out = self._morph(jittered, generator)
        out = self._drop(out, boxes, generator)
        if self.box_prob > 0:
            out = self._box_guides(out, jittered, generator)
        return out
