# Copyright (c) OpenMMLab. All rights reserved.
"""PLM: pixel-level matching for semi-supervised video object
segmentation."""
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmdet.utils import ConfigType, OptConfigType, OptMultiConfig
from mmengine.structures import PixelData
from torch import Tensor

from mmvidseg.models.video_models.base import BaseVideoModel
from mmvidseg.models.video_models.vs_reid import VSReID
from mmvidseg.registry import MODELS

DEFAULT_TRAIN_CFG = dict(min_pixels=1)
DEFAULT_TEST_CFG = dict(
    bg_thr=0.5,
    finetune_iters=0,
    finetune_lr=1e-3,
    finetune_batch=2,
    finetune_shift=0.1,
    finetune_scale=(0.9, 1.1),
    finetune_flip=True)


def object_ids_of(ids: Tensor, ref_object_ids: Optional[Sequence] = None,
                  min_pixels: int = 1) -> List[int]:
    """Object ids (not 0, not 255) of an (H, W) id map with at least
    ``min_pixels`` pixels, restricted to ``ref_object_ids`` if given."""
    present = [int(i) for i in ids.unique().tolist() if 0 < i < 255]
    if ref_object_ids is not None:
        present = [int(i) for i in ref_object_ids if int(i) in present]
    return [i for i in present if int((ids == i).sum()) >= min_pixels]


def random_affine(img: Tensor, labels: Tensor, shift: float,
                  scale: Tuple[float, float],
                  flip: bool) -> Tuple[Tensor, Tensor]:
    """Randomly shifted, scaled and flipped copies of a frame and its ids.

    Args:
        img (Tensor): (B, 3, H, W) frames (copies of one frame).
        labels (Tensor): (B, H, W) long ids.
        shift (float): Largest shift, a fraction of the frame size.
        scale (tuple): (min, max) zoom.
        flip (bool): Whether to flip half of the copies horizontally.

    Returns:
        tuple: The warped frames (zero outside) and ids (255 outside).
    """
    b = img.size(0)
    zoom = torch.empty(b).uniform_(*scale).to(img)
    sign = torch.ones(b).to(img)
    if flip:
        sign = torch.where(torch.rand(b) < 0.5, -1.0, 1.0).to(img)
    move = (torch.rand(b, 2) * 2 - 1).to(img) * shift * 2
    theta = img.new_zeros(b, 2, 3)
    theta[:, 0, 0] = sign / zoom
    theta[:, 1, 1] = 1 / zoom
    theta[:, :, 2] = move
    grid = F.affine_grid(theta, list(img.shape), align_corners=False)
    out = F.grid_sample(img, grid, align_corners=False)
    lab = F.grid_sample(labels[:, None].float(), grid, mode='nearest',
                        align_corners=False)[:, 0]
    inside = F.grid_sample(
        torch.ones_like(lab[:, None]), grid, mode='nearest',
        align_corners=False)[:, 0] > 0.5
    return out, torch.where(inside, lab, torch.full_like(lab, 255)).long()


@MODELS.register_module()
class PLM(BaseVideoModel):
    """`Pixel-Level Matching for Video Object Segmentation using
    Convolutional Neural Networks
    <https://openaccess.thecvf.com/content_iccv_2017/html/Yoon_Pixel-Level_Matching_for_ICCV_2017_paper.html>`_
    (ICCV 2017).

    A Siamese network: one encoder (``backbone``, several levels) and one
    :class:`FeatureCompressor` (1x1 convolution, ReLU, L2 normalisation
    of the concatenated levels) are shared by the *query* (the first frame
    with the annotated object) and the *search* frame. A
    :class:`PixelMatchingHead` matches every search pixel with the query's
    target and background pixels and decodes a background / target score
    per pixel.

    **Training** (pre-training): clips of frames of one video; frame 0 of
    the clip is the query, each object of its mask one query target, every
    other frame a search frame whose mask of the same object is the target.

    **Inference** (:meth:`predict`, one whole video per sample): with
    ``test_cfg.finetune_iters > 0`` the network is first fine-tuned on the
    video's first frame (the query matched against randomly shifted,
    scaled and flipped copies of itself), then every frame is matched with
    the first frame once per object, and the objects' target
    probabilities are merged by :meth:`VSReID.merge` (argmax, background
    below ``test_cfg.bg_thr``). The weights are restored after each video.

    Args:
        backbone (dict): Shared encoder with several output levels.
        compressor (dict): :class:`FeatureCompressor`.
        head (dict): :class:`PixelMatchingHead`.
        loss (dict): Pixel loss of the 2-class logits.
        train_cfg (dict, optional): ``min_pixels`` of a query target.
        test_cfg (dict, optional): ``bg_thr``, ``finetune_iters``,
            ``finetune_lr`` (Adam), ``finetune_batch`` (augmented copies
            per iteration), ``finetune_shift``, ``finetune_scale``,
            ``finetune_flip``.
        data_preprocessor (dict, optional): ``VideoDataPreprocessor``.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 backbone: ConfigType,
                 compressor: ConfigType,
                 head: ConfigType,
                 loss: ConfigType = dict(
                     type='mmdet.CrossEntropyLoss', loss_weight=1.0),
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.compressor = MODELS.build(compressor)
        self.head = MODELS.build(head)
        self.loss_cls = MODELS.build(loss)
        self.train_cfg = dict(DEFAULT_TRAIN_CFG, **(train_cfg or {}))
        self.test_cfg = dict(DEFAULT_TEST_CFG, **(test_cfg or {}))
        if int(self.test_cfg['finetune_iters']) < 0:
            raise ValueError('test_cfg.finetune_iters must be >= 0, got '
                             f"{self.test_cfg['finetune_iters']}")
        if not 0 <= float(self.test_cfg['bg_thr']) <= 1:
            raise ValueError('test_cfg.bg_thr must be in [0, 1], got '
                             f"{self.test_cfg['bg_thr']}")

    # ------------------------------------------------------------ network
    def encode(self, frames: Tensor) -> Tensor:
        """(N, 3, H, W) normalised frames -> (N, C, h, w) compressed
        unit-norm features."""
        return self.compressor(list(self.backbone(frames)))

    def match(self, search: Tensor, query: Tensor, targets: Tensor,
              size: Tuple[int, int]) -> Tensor:
        """Background / target logits of search frames.

        Args:
            search (Tensor): (N, C, h, w) search features.
            query (Tensor): (N, C, h, w) query features.
            targets (Tensor): (N, H, W) query target masks (0 / 1) at the
                frame size.
            size (tuple): (H, W) of the output.

        Returns:
            Tensor: (N, 2, H, W) logits.
        """
        target = F.adaptive_avg_pool2d(targets[:, None].float(),
                                       query.shape[-2:])
        logits = self.head(search, query, target)
        return F.interpolate(logits, size=size, mode='bilinear',
                             align_corners=False)

    # ----------------------------------------------------------- training
    def _clip_pairs(self, clip: Tensor,
                    frames: Sequence) -> Tuple[List, List, List]:
        """(query target masks, search frame indices, search targets) of
        every object of frame 0 of one clip and every later frame."""
        h, w = frames[0].metainfo['img_shape'][:2]
        ids = torch.stack([f.gt_sem_seg.data[0] for f in frames])
        ids = ids.to(clip.device).long()
        ids[:, h:] = 255
        ids[:, :, w:] = 255
        masks, search, targets = [], [], []
        for i in object_ids_of(ids[0, :h, :w],
                               min_pixels=self.train_cfg['min_pixels']):
            for t in range(1, len(frames)):
                target = (ids[t] == i).long()
                target[ids[t] == 255] = 255
                masks.append(ids[0] == i)
                search.append(t)
                targets.append(target)
        return masks, search, targets

    def loss(self, inputs: Tensor, data_samples: list) -> Dict[str, Tensor]:
        """Matching loss of every (query object, search frame) pair.

        Args:
            inputs (Tensor): (N, T >= 2, 3, H, W) clips; frame 0 of each is
                the query.
            data_samples (list): N ``TrackDataSample`` with ``gt_sem_seg``
                (object ids, 255 void) on every frame.

        Returns:
            dict: ``loss_match`` and ``acc_match`` (pixel accuracy, %).
        """
        if inputs.dim() != 5 or inputs.size(1) < 2:
            raise ValueError('PLM trains on (N, T >= 2, C, H, W) clips (frame '
                             f'0 the query), got {tuple(inputs.shape)}')
        n, t = inputs.shape[:2]
        for sample in data_samples:
            if any('gt_sem_seg' not in f
                   for f in sample.video_data_samples):
                raise ValueError('PLM training needs gt_sem_seg on every '
                                 'frame (LoadVOSAnnotation)')
        feats = self.encode(inputs.flatten(0, 1))
        feats = feats.view(n, t, *feats.shape[1:])
        query, search, masks, targets = [], [], [], []
        for b, (clip, sample) in enumerate(zip(inputs, data_samples)):
            m, s, tg = self._clip_pairs(clip, sample.video_data_samples)
            query += [feats[b, 0]] * len(m)
            search += [feats[b, i] for i in s]
            masks += m
            targets += tg
        if not masks:  # no object in any query frame
            zero = sum(p.sum() for p in self.parameters()) * 0
            return dict(loss_match=zero)
        logits = self.match(torch.stack(search), torch.stack(query),
                            torch.stack(masks), inputs.shape[-2:])
        target = torch.stack(targets)
        loss = self.loss_cls(logits, target, ignore_index=255)
        valid = target != 255
        acc = (logits.argmax(1) == target)[valid].float().mean() * 100
        return dict(loss_match=loss, acc_match=acc.detach())

    # ---------------------------------------------------------- inference
    def finetune(self, frame: Tensor, labels: Tensor,
                 num_objects: int) -> None:
        """First-frame fine-tuning (in place): the frame is the query, its
        augmented copies (:func:`random_affine`) the search frames.

        Args:
            frame (Tensor): (3, H, W) normalised first frame.
            labels (Tensor): (H, W) object indices 0..K.
            num_objects (int): K.
        """
        cfg = self.test_cfg
        params = [p for p in self.parameters() if p.requires_grad]
        optim = torch.optim.Adam(params, lr=float(cfg['finetune_lr']))
        b, k = int(cfg['finetune_batch']), num_objects
        obj = torch.arange(1, k + 1, device=labels.device)
        masks = (labels[None] == obj[:, None, None]).repeat(b, 1, 1)
        with torch.enable_grad():
            for _ in range(int(cfg['finetune_iters'])):
                imgs, labs = random_affine(
                    frame[None].expand(b, -1, -1, -1).contiguous(),
                    labels[None].expand(b, -1, -1).contiguous(),
                    cfg['finetune_shift'], cfg['finetune_scale'],
                    cfg['finetune_flip'])
                feats = self.encode(torch.cat([frame[None], imgs]))
                search = feats[1:].repeat_interleave(k, 0)
                target = (labs.repeat_interleave(k, 0) ==
                          obj.repeat(b)[:, None, None]).long()
                target[labs.repeat_interleave(k, 0) == 255] = 255
                logits = self.match(search, feats[:1].expand_as(search),
                                    masks, frame.shape[-2:])
                loss = self.loss_cls(logits, target, ignore_index=255)
                optim.zero_grad()
                loss.backward()
                optim.step()

    def merge(self, probs: Tensor) -> Tensor:
        """(K, H, W) target probabilities -> (H, W) indices 0..K, the same
        rule as :meth:`VSReID.merge` (argmax, background below
        ``test_cfg.bg_thr``)."""
        return VSReID.merge(self, probs)

    def segment_video(self, frames: Tensor, first: Tensor,
                      num_objects: int) -> Tensor:
        """(T, H, W) object indices 0..K of one video: every frame matched
        with frame 0 once per object, then merged."""
        k = num_objects
        obj = torch.arange(1, k + 1, device=first.device)
        masks = first[None] == obj[:, None, None]
        feats = self.encode(frames)
        labels = first.new_zeros((frames.size(0), ) + first.shape)
        labels[0] = first
        for t in range(1, frames.size(0)):
            logits = self.match(feats[t:t + 1].expand(k, -1, -1, -1),
                                feats[:1].expand(k, -1, -1, -1), masks,
                                frames.shape[-2:])
            labels[t] = self.merge(logits.softmax(1)[:, 1])
        return labels

    def _first_labels(self, frames: Sequence,
                      device: torch.device) -> Tuple[Tensor, List[int]]:
        """Object indices (H, W), 1..K, of the first frame and their ids."""
        first = frames[0]
        name = first.metainfo.get('video_name', first.metainfo.get(
            'video_id', '?'))
        if 'gt_sem_seg' not in first:
            raise ValueError(f'video {name}: the first frame has no mask '
                             '(gt_sem_seg); PLM needs the reference mask')
        h, w = first.metainfo['img_shape'][:2]
        ids = first.gt_sem_seg.data[0, :h, :w].to(device).long()
        object_ids = object_ids_of(ids, first.metainfo.get('ref_object_ids'))
        if not object_ids:
            raise ValueError(f'video {name}: the first-frame mask has no '
                             'object')
        labels = torch.zeros_like(ids)
        for k, i in enumerate(object_ids, 1):
            labels[ids == i] = k
        return labels, object_ids

    def predict(self, inputs: Tensor, data_samples: list) -> list:
        """Segment whole videos from their first-frame masks, fine-tuning
        on each first frame when ``test_cfg.finetune_iters > 0``.

        Args:
            inputs (Tensor): (N, T, 3, H, W), each clip a whole video.
            data_samples (list): N ``TrackDataSample``; frame 0 carries the
                reference mask (``gt_sem_seg``).

        Returns:
            list: ``data_samples``; every frame gets ``pred_sem_seg``
            (1, H, W) with DAVIS object ids, 0 background.
        """
        if inputs.dim() != 5:
            raise ValueError('PLM predicts whole videos (N, T, C, H, W), '
                             f'got shape {tuple(inputs.shape)}')
        for clip, sample in zip(inputs, data_samples):
            frames = sample.video_data_samples
            h, w = frames[0].metainfo['img_shape'][:2]
            clip = clip[..., :h, :w]
            first, object_ids = self._first_labels(frames, inputs.device)
            state = None
            if int(self.test_cfg['finetune_iters']) > 0:
                state = {k: v.clone() for k, v in self.state_dict().items()}
                self.finetune(clip[0], first, len(object_ids))
            with torch.no_grad():
                labels = self.segment_video(clip, first, len(object_ids))
            if state is not None:
                self.load_state_dict(state)
            lut = labels.new_tensor([0] + object_ids)
            for t, frame in enumerate(frames):
                frame.pred_sem_seg = PixelData(data=lut[labels[t]][None])
        return data_samples

    def _forward(self, inputs: Tensor,
                 data_samples: Optional[list] = None) -> Tensor:
        """Logits (N*T, 2, H, W) of every frame matched with itself, the
        target a centred box of a quarter of the frame (for FLOPs
        counting)."""
        frames, _ = self.to_frames(inputs, data_samples)
        n, _, h, w = frames.shape
        mask = frames.new_zeros(n, h, w)
        mask[:, h // 4:h - h // 4, w // 4:w - w // 4] = 1
        feats = self.encode(frames)
        return self.match(feats, feats, mask, (h, w))
