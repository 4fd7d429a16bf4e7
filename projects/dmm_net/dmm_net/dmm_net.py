# Copyright (c) OpenMMLab. All rights reserved.
"""DMM-Net: Differentiable Mask-Matching Network for video object
segmentation."""
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn.functional as F
from mmdet.structures import DetDataSample
from mmdet.structures.mask import BitmapMasks
from mmdet.utils import ConfigType, OptConfigType, OptMultiConfig
from mmengine.structures import InstanceData, PixelData
from torch import Tensor

from mmvidseg.models.utils.flow_warp import mask_boxes
from mmvidseg.models.video_models.base import BaseVideoModel
from mmvidseg.registry import MODELS, TASK_UTILS

DEFAULT_TRAIN_CFG = dict(match_loss_weight=1.0, num_distractors=2)
DEFAULT_TEST_CFG = dict(score_thr=0.3, max_proposals=10, mask_thr=0.5,
                        bg_thr=0.5)


def frame_objects(ids: Tensor) -> List[int]:
    """Object ids (1..254) present in an index map."""
    return [i for i in ids.unique().tolist() if 0 < i < 255]


@MODELS.register_module()
class DMMNet(BaseVideoModel):
    """`DMM-Net: Differentiable Mask-Matching Network for Video Object
    Segmentation <https://arxiv.org/abs/1909.12471>`_ (ICCV 2019).

    Every frame gets instance mask proposals from an mmdet detector
    (``detector``, a Mask R-CNN). The objects of the first frame are the
    *templates*. In frame t a CNN (``cost_head`` on ``encoder`` features)
    predicts the cost between every template and every proposal, mixed
    with the proposals' IoU with the objects' masks in frame t - 1; the
    **differentiable matching layer** (``matching``: projected gradient
    descent on the relaxed assignment, unrolled, projections by Dykstra's
    algorithm) assigns proposals to templates, and ``refine_head`` turns
    each object's matched proposal and the frame's features into its mask.

    Training sums the detector's losses on every frame (class-agnostic
    instances from the object ids), a loss on the matched soft masks
    ``X @ proposals`` (which trains the cost through the matching layer)
    and the refinement loss. Matching and refinement train on proposals
    made from the ground truth (perturbed by ``proposal_perturbation``,
    plus perturbed copies of other objects as distractors), so they do not
    wait for the detector.

    Args:
        detector (dict): mmdet detector with masks (``mmdet.MaskRCNN``).
        encoder (dict): Backbone of the cost and refinement features.
        cost_head (dict): :class:`MatchingCostHead`.
        matching (dict): :class:`DifferentiableMatching`.
        refine_head (dict): :class:`MaskRefineHead`.
        proposal_perturbation (dict): Corruption of the ground-truth
            proposals in training (``GuideMaskPerturbation``).
        cost_level (int): Encoder level pooled for the cost. Defaults to 1.
        train_cfg (dict, optional): ``match_loss_weight``,
            ``num_distractors``.
        test_cfg (dict, optional): ``score_thr``, ``max_proposals``,
            ``mask_thr`` (proposal binarisation), ``bg_thr``.
        data_preprocessor (dict, optional): ``VideoDataPreprocessor``.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 detector: ConfigType,
                 encoder: ConfigType,
                 cost_head: ConfigType,
                 matching: ConfigType,
                 refine_head: ConfigType,
                 proposal_perturbation: ConfigType = dict(
                     type='GuideMaskPerturbation'),
                 cost_level: int = 1,
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.detector = MODELS.build(detector)
        self.encoder = MODELS.build(encoder)
        self.cost_head = MODELS.build(cost_head)
        self.matching = MODELS.build(matching)
        self.refine_head = MODELS.build(refine_head)
        self.perturb = TASK_UTILS.build(proposal_perturbation)
        self.cost_level = cost_level
        self.train_cfg = dict(DEFAULT_TRAIN_CFG, **(train_cfg or {}))
        self.test_cfg = dict(DEFAULT_TEST_CFG, **(test_cfg or {}))

    # ------------------------------------------------------------ helpers
    def match(self, feats: List[Tensor], templates: Tensor,
              prev_masks: Tensor, proposals: Tensor) -> Tuple[Tensor, ...]:
        """Match K templates to P proposals of one frame.

        Args:
            feats (list[Tensor]): The frame's encoder levels (1, C, h, w).
            templates (Tensor): (K, D) template embeddings.
            prev_masks (Tensor): (K, H, W) objects in the previous frame.
            proposals (Tensor): (P, H, W) proposal masks in [0, 1], P >= 0.

        Returns:
            tuple: the soft assignment X (K, P) and the matched soft masks
            ``X @ proposals`` (K, H, W).
        """
        k, (h, w) = templates.size(0), prev_masks.shape[-2:]
        if proposals.size(0) == 0:
            return templates.new_zeros(k, 0), templates.new_zeros(k, h, w)
        emb = self.cost_head.embed(feats[self.cost_level][0], proposals)
        cost = self.cost_head(templates, emb, prev_masks, proposals)
        x = self.matching(cost)
        matched = (x @ proposals.flatten(1)).view(k, h, w)
        return x, matched

    @staticmethod
    def _det_sample(ids: Tensor, meta: dict) -> DetDataSample:
        """Class-agnostic detection ground truth from an object-id map."""
        objects = frame_objects(ids)
        masks = torch.stack([ids == i for i in objects]) if objects else \
            ids.new_zeros((0, ) + ids.shape, dtype=torch.bool)
        boxes, _ = mask_boxes(masks.float())
        sample = DetDataSample(metainfo=dict(
            img_shape=tuple(ids.shape), ori_shape=tuple(ids.shape),
            pad_shape=tuple(ids.shape), batch_input_shape=tuple(ids.shape),
            scale_factor=(1.0, 1.0), img_id=meta.get('img_id', 0)))
        sample.gt_instances = InstanceData(
            bboxes=boxes, labels=boxes.new_zeros(len(objects),
                                                 dtype=torch.long),
            masks=BitmapMasks(masks.cpu().numpy(), *ids.shape))
        return sample

    # ----------------------------------------------------------- training
    def _clip_losses(self, frames: Tensor, ids: Tensor) -> Dict:
        """Matching and refinement losses of one clip: frame 0's objects
        are the templates, frames 1.. the queries."""
        objects = frame_objects(ids[0])
        if not objects:
            return {}
        feats = self.encoder(frames)
        first = torch.stack([ids[0] == i for i in objects]).float()
        templates = self.cost_head.embed(feats[self.cost_level][0], first)
        match_losses, refine_losses = [], []
        for t in range(1, frames.size(0)):
            f_t = [f[t:t + 1] for f in feats]
            prev = torch.stack([ids[t - 1] == i for i in objects]).float()
            target = torch.stack([ids[t] == i for i in objects]).float()
            present = frame_objects(ids[t])
            extra = [i for i in present if i not in objects]
            masks = [ids[t] == i for i in present + extra[:self.train_cfg[
                'num_distractors']]]
            if not masks:
                continue
            props = self.perturb(torch.stack(masks)[:, None].float())[:, 0]
            props = props[torch.randperm(props.size(0))]
            _, matched = self.match(f_t, templates, prev, props)
            valid = (ids[t] != 255).float()[None].expand_as(target)
            match_losses.append(F.binary_cross_entropy(
                matched.clamp(1e-4, 1 - 1e-4), target, weight=valid))
            logits = self.refine_head(f_t, matched)
            refine_losses.append(F.binary_cross_entropy_with_logits(
                logits, target, weight=valid))
        if not refine_losses:
            return {}
        return dict(
            loss_match=torch.stack(match_losses).mean() *
            self.train_cfg['match_loss_weight'],
            loss_refine=torch.stack(refine_losses).mean())

    def loss(self, inputs: Tensor, data_samples: list) -> Dict[str, Tensor]:
        """Detector, matching and refinement losses.

        Args:
            inputs (Tensor): (N, T, 3, H, W) clips, T >= 2.
            data_samples (list): N ``TrackDataSample`` with ``gt_sem_seg``
                (object ids, 0 background, 255 void) per frame.

        Returns:
            dict: the detector's losses (``det_`` prefix), ``loss_match``
            and ``loss_refine``.
        """
        if inputs.dim() != 5 or inputs.size(1) < 2:
            raise ValueError('DMMNet trains on (N, T >= 2, C, H, W) clips, '
                             f'got shape {tuple(inputs.shape)}')
        det_samples, clip_losses = [], []
        for clip, sample in zip(inputs, data_samples):
            frames = sample.video_data_samples
            if any('gt_sem_seg' not in f for f in frames):
                raise ValueError('DMMNet training needs gt_sem_seg (object '
                                 'ids) on every frame')
            h, w = frames[0].metainfo['img_shape'][:2]
            ids = torch.stack([f.gt_sem_seg.data[0, :h, :w]
                               for f in frames]).to(inputs.device).long()
            det_samples += [self._det_sample(i, f.metainfo)
                            for i, f in zip(ids, frames)]
            clip_losses.append(self._clip_losses(clip[..., :h, :w], ids))
        det = self.detector.loss(inputs.flatten(0, 1), det_samples)
        losses = {f'det_{k}': v for k, v in det.items()}
        for key in ('loss_match', 'loss_refine'):
            vals = [c[key] for c in clip_losses if key in c]
            zero = sum(p.sum() for p in self.parameters()) * 0
            losses[key] = torch.stack(vals).mean() if vals else zero
        return losses

    # ---------------------------------------------------------- inference
    def proposals(self, frame: Tensor) -> Tensor:
        """Detector mask proposals (P, H, W) in {0, 1} of one normalised
        frame (1, 3, H, W), the best ``max_proposals`` above
        ``score_thr``."""
        h, w = frame.shape[-2:]
        meta = dict(img_shape=(h, w), ori_shape=(h, w), pad_shape=(h, w),
                    batch_input_shape=(h, w), scale_factor=(1.0, 1.0))
        pred = self.detector.predict(
            frame, [DetDataSample(metainfo=meta)], rescale=False)
        inst = pred[0].pred_instances
        keep = inst.scores >= self.test_cfg['score_thr']
        masks, scores = inst.masks[keep], inst.scores[keep]
        order = scores.argsort(descending=True)[:self.test_cfg[
            'max_proposals']]
        masks = masks[order].float()
        if masks.dim() != 3:
            masks = frame.new_zeros(0, h, w)
        return (masks > self.test_cfg['mask_thr']).float()

    def segment_video(self, frames: Tensor, first: Tensor) -> Tensor:
        """Object indices (T, H, W), 0..K, of one video given the first
        frame's (H, W) indices (1..K)."""
        k = int(first.max())
        labels = first.new_zeros((frames.size(0), ) + first.shape)
        labels[0] = first
        obj = torch.arange(1, k + 1, device=first.device)[:, None, None]
        feats0 = self.encoder(frames[:1])
        templates = self.cost_head.embed(feats0[self.cost_level][0],
                                         (first[None] == obj).float())
        for t in range(1, frames.size(0)):
            feats = self.encoder(frames[t:t + 1])
            prev = (labels[t - 1][None] == obj).float()
            props = self.proposals(frames[t:t + 1])
            x, _ = self.match(feats, templates, prev, props)
            if x.size(1):  # keep each template's best proposal only
                best = x * (x == x.max(1, keepdim=True)[0])
                matched = (best @ props.flatten(1)).view_as(prev)
            else:
                matched = torch.zeros_like(prev)
            probs = self.refine_head(feats, matched).sigmoid()
            score, idx = probs.max(0)
            labels[t] = torch.where(score >= self.test_cfg['bg_thr'],
                                    idx + 1, torch.zeros_like(idx))
        return labels

    def predict(self, inputs: Tensor, data_samples: list) -> list:
        """Segment whole videos from their first-frame masks.

        Args:
            inputs (Tensor): (N, T, 3, H, W), each clip a whole video.
            data_samples (list): N ``TrackDataSample``; frame 0 carries the
                reference mask (``gt_sem_seg``).

        Returns:
            list: ``data_samples``; every frame gets ``pred_sem_seg``
            (1, H, W) with DAVIS object ids.
        """
        if inputs.dim() != 5:
            raise ValueError('DMMNet predicts whole videos (N, T, C, H, W), '
                             f'got shape {tuple(inputs.shape)}')
        for clip, sample in zip(inputs, data_samples):
            frames = sample.video_data_samples
            h, w = frames[0].metainfo['img_shape'][:2]
            if 'gt_sem_seg' not in frames[0]:
                raise ValueError('DMMNet needs the first frame\'s mask '
                                 '(gt_sem_seg) of every video')
            ids = frames[0].gt_sem_seg.data[0, :h, :w].to(inputs.device)
            object_ids = frames[0].metainfo.get('ref_object_ids') or \
                frame_objects(ids)
            object_ids = [int(i) for i in object_ids if (ids == i).any()]
            if not object_ids:
                raise ValueError(f'video {frames[0].metainfo.get("video_id")}'
                                 ': the first-frame mask has no object')
            first = torch.zeros_like(ids).long()
            for k, i in enumerate(object_ids, 1):
                first[ids == i] = k
            labels = self.segment_video(clip[..., :h, :w], first)
            lut = labels.new_tensor([0] + object_ids)
            for t, frame in enumerate(frames):
                frame.pred_sem_seg = PixelData(data=lut[labels[t]][None])
        return data_samples

    def _forward(self, inputs: Tensor,
                 data_samples: Optional[list] = None) -> Tuple:
        """Detector features and refinement logits of every frame for an
        empty matched mask (for FLOPs counting)."""
        frames, _ = self.to_frames(inputs, data_samples)
        feats = self.encoder(frames)
        masks = frames.new_zeros((1, ) + frames.shape[-2:])
        logits = [self.refine_head([f[i:i + 1] for f in feats], masks)
                  for i in range(frames.size(0))]
        return self.detector.extract_feat(frames), torch.cat(logits)
