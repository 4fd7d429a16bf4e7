# Copyright (c) OpenMMLab. All rights reserved.
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmdet.utils import ConfigType, OptConfigType, OptMultiConfig
from mmengine.structures import PixelData
from torch import Tensor

from mmvidseg.registry import MODELS, TASK_UTILS
from ..heads.reid_embed_head import reid_training_boxes
from ..utils.flow_warp import (crop_patches, expand_boxes, mask_boxes,
                               motion_fields, paste_patches, splat_forward,
                               warp_backward)
from .base import BaseVideoModel

DEFAULT_TRAIN_CFG = dict(
    patch_size=(64, 64),
    context=(1.5, 2.5),
    losses=('mask', ),
    reid_jitter=0.1,
    reid_truncate_prob=0.5,
    reid_min_keep=0.2)
LOSSES = ('mask', 'reid')
DEFAULT_TEST_CFG = dict(
    patch_size=(449, 449), context=2.0, flip=True, bg_thr=0.5, reid=True)


def _video_name(sample) -> str:
    meta = sample.metainfo
    return str(meta.get('video_name', meta.get('video_id', '?')))


@MODELS.register_module()
class VSReID(BaseVideoModel):
    """`Video Object Segmentation with Re-identification
    <https://arxiv.org/abs/1708.00197>`_ (DAVIS 2017 challenge winner).

    **Mask propagation.** Two streams, each a dilated ResNet (``backbone``,
    ``flow_backbone``; strides (1, 2, 1, 1), dilations (1, 1, 2, 4)) and a
    :class:`MaskPropagationHead` (ASPP + 2-class classifier). The RGB
    stream sees the frame, the flow stream the optical flow aligned with
    the frame; both get, as an extra input channel, the *guide*: the
    object's mask in the previous frame moved to this frame by the flow.
    The streams' logits are summed (``flow_backbone=None``: RGB only).

    **Inference** (:meth:`predict`, one whole video per sample): the
    reference masks give the objects (frame 0's in DAVIS; in YouTube-VOS an
    object may enter later, and its reference is its mask in the frame
    whose ``ref_object_ids`` lists it); frame by frame, each object's merged
    mask is splatted forward by the flow, an object-centred patch
    (``test_cfg.context`` times the guide's box, resized to
    ``test_cfg.patch_size``) is segmented (averaged with its horizontal
    flip) and pasted back, and the objects are merged by argmax, pixels
    whose best object is below ``bg_thr`` being background. An object
    starts in its reference frame, where its reference mask replaces what
    propagation wrote, and goes forward from there; earlier frames hold no
    mask of it. Propagation
    runs backward in time too (:meth:`propagate`, used by the
    re-identification restarts). With a ``reid`` module
    (:class:`VOSReIDTracker`) and ``test_cfg.reid``, objects lost by
    propagation are searched among candidate boxes and re-started.

    **Training** (which the release did not include): clips of consecutive
    frames; for every object of frame t - 1, the ground truth is splatted
    to frame t by the flow and corrupted (``guide_perturbation``), a patch
    around the corrupted guide's box (``train_cfg.context`` drawn in a
    range) is cut, and the two streams learn frame t's mask.

    Flow comes from ``flow`` (:class:`PrecomputedFlow` or
    :class:`RAFTFlowEstimator`), forward flows only.

    Args:
        backbone (dict): RGB stream backbone; ``in_channels`` is set to 4.
        head (dict): RGB stream head (:class:`MaskPropagationHead`).
        flow_backbone (dict, optional): Flow stream backbone
            (``in_channels`` set to 3). None: RGB stream only.
        flow_head (dict, optional): Flow stream head.
        flow (dict): Flow source. Defaults to ``PrecomputedFlow``.
        flow_scale (float): Flow (pixels of the network input) is divided
            by it before the flow stream. Defaults to 10.
        guide_perturbation (dict): Training guide corruption.
        loss (dict): Pixel loss of the 2-class logits.
        reid (dict, optional): Re-identification module config.
        train_cfg (dict, optional): ``patch_size`` (h, w), ``context``
            (min, max), ``losses`` (``('mask', )`` default, ``'reid'``
            trains ``reid.embedder``), ``reid_jitter``,
            ``reid_truncate_prob``, ``reid_min_keep`` (see
            :func:`reid_training_boxes`).
        test_cfg (dict, optional): ``patch_size``, ``context``, ``flip``,
            ``bg_thr``, ``reid`` (switch).
        data_preprocessor (dict, optional): ``VideoDataPreprocessor``.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 backbone: ConfigType,
                 head: ConfigType,
                 flow_backbone: OptConfigType = None,
                 flow_head: OptConfigType = None,
                 flow: ConfigType = dict(type='PrecomputedFlow'),
                 flow_scale: float = 10.0,
                 guide_perturbation: ConfigType = dict(
                     type='GuideMaskPerturbation'),
                 loss: ConfigType = dict(
                     type='mmdet.CrossEntropyLoss', loss_weight=1.0),
                 reid: OptConfigType = None,
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(dict(backbone, in_channels=4))
        self.head = MODELS.build(head)
        if (flow_backbone is None) != (flow_head is None):
            raise ValueError('give both flow_backbone and flow_head, or '
                             'neither (RGB stream only)')
        self.with_flow_stream = flow_backbone is not None
        if self.with_flow_stream:
            self.flow_backbone = MODELS.build(
                dict(flow_backbone, in_channels=3))
            self.flow_head = MODELS.build(flow_head)
        self.flow_source = MODELS.build(flow)
        self.flow_scale = float(flow_scale)
        self.perturb = TASK_UTILS.build(guide_perturbation)
        self.loss_cls = MODELS.build(loss)
        self.reid = MODELS.build(reid) if reid is not None else None
        self.train_cfg = dict(DEFAULT_TRAIN_CFG, **(train_cfg or {}))
        self.test_cfg = dict(DEFAULT_TEST_CFG, **(test_cfg or {}))
        self._check_losses(self.train_cfg['losses'])

    def _check_losses(self, losses: Sequence[str]) -> None:
        if not losses or any(name not in LOSSES for name in losses):
            raise ValueError(f'train_cfg.losses must be a non-empty subset '
                             f'of {LOSSES}, got {losses}')
        if 'reid' in losses and not hasattr(
                getattr(self.reid, 'embedder', None), 'loss'):
            raise ValueError(
                "train_cfg.losses has 'reid' but model.reid has no "
                'trainable embedder (e.g. embedder=dict(type='
                "'ReIDEmbedHead', ...))")

    # ------------------------------------------------------------ network
    def segment(self, img: Tensor, flow: Tensor, guide: Tensor) -> Tensor:
        """Two-stream logits of patches.

        Args:
            img (Tensor): Normalised RGB, (N, 3, h, w).
            flow (Tensor): Flow aligned with ``img`` in its pixels,
                (N, 2, h, w).
            guide (Tensor): Warped previous mask, (N, 1, h, w), in [0, 1].

        Returns:
            Tensor: Background / object logits, (N, 2, h, w).
        """
        logits = self.head(self.backbone(torch.cat([img, guide], 1))[-1])
        if self.with_flow_stream:
            x = torch.cat([flow / self.flow_scale, guide], 1)
            logits = logits + self.flow_head(self.flow_backbone(x)[-1])
        return F.interpolate(
            logits, size=img.shape[-2:], mode='bilinear', align_corners=False)

    def _patches(self, img: Tensor, motion: Tensor, guide: Tensor,
                 boxes: Tensor, size: Tuple[int, int]) -> Tuple:
        """Cut (K, ...) patches of one frame's maps around K boxes; the
        flow is rescaled to patch pixels."""
        k = boxes.size(0)
        img_p = crop_patches(img.expand(k, -1, -1, -1), boxes, size)
        flow_p = crop_patches(motion.expand(k, -1, -1, -1), boxes, size)
        scale = torch.stack([
            size[1] / (boxes[:, 2] - boxes[:, 0]).clamp(min=1e-3),
            size[0] / (boxes[:, 3] - boxes[:, 1]).clamp(min=1e-3)
        ], 1)
        flow_p = flow_p * scale[:, :, None, None]
        guide_p = crop_patches(guide, boxes, size)
        return img_p, flow_p, guide_p

    def _frame_flows(self, frames: Tensor, samples: Sequence) -> Tensor:
        """Forward flows (T - 1, 2, H, W) of one video's frames."""
        return self.flow_source(self.denormalize(frames), samples)

    # ----------------------------------------------------------- training
    def _clip_examples(self, frames: Tensor, samples: Sequence) -> List:
        """(img, motion, guide, target) of every object of every
        consecutive pair of one clip (tensors of frame t's size)."""
        h, w = samples[0].metainfo['img_shape'][:2]
        frames = frames[..., :h, :w]
        ids = torch.stack(
            [s.gt_sem_seg.data[0, :h, :w] for s in samples]).to(frames)
        flows = self._frame_flows(frames, samples)
        last = samples[-1]
        if 'gt_flow' in last and last.metainfo.get('flow_valid', False):
            motion = torch.cat([flows, last.gt_flow.data[None, :, :h, :w]
                                .to(frames)])
        else:
            motion = motion_fields(flows)
        examples = []
        for t in range(1, len(samples)):
            objects = [i for i in ids[t - 1].unique().tolist()
                       if 0 < i < 255]
            if not objects:
                continue
            prev = torch.stack([(ids[t - 1] == i) for i in objects])
            guide = splat_forward(prev[:, None].to(frames),
                                  flows[t - 1:t].expand(len(objects), -1,
                                                        -1, -1),
                                  normalize=False)
            target = torch.stack([(ids[t] == i).long() for i in objects])
            target[:, ids[t] == 255] = 255
            examples.append((frames[t], motion[t], (guide > 0.5).float(),
                             target))
        return examples

    def loss(self, inputs: Tensor, data_samples: list) -> Dict[str, Tensor]:
        """Training losses named in ``train_cfg.losses``: ``'mask'``
        (propagation, :meth:`mask_loss`) and / or ``'reid'`` (the
        re-identification embedding, :meth:`reid_loss`). A second stage
        that trains only the embedding of a trained propagation model
        uses ``losses=('reid', )``: the propagation weights get no
        gradient and stay as they were.

        Args:
            inputs (Tensor): (N, T, 3, H, W) clips.
            data_samples (list): N ``TrackDataSample`` with ``gt_sem_seg``
                (object ids) and, for precomputed flow, ``gt_flow``.

        Returns:
            dict: The losses and their accuracies.
        """
        losses = {}
        if 'mask' in self.train_cfg['losses']:
            losses.update(self.mask_loss(inputs, data_samples))
        if 'reid' in self.train_cfg['losses']:
            losses.update(self.reid_loss(inputs, data_samples))
        return losses

    def reid_loss(self, inputs: Tensor,
                  data_samples: list) -> Dict[str, Tensor]:
        """Metric loss of the re-identification embedding
        (``reid.embedder``, e.g. :class:`ReIDEmbedHead`) on crops of the
        ground-truth objects of every frame: crops of one object of one
        clip share an id, other objects and other clips' objects are
        negatives. Boxes are jittered and sometimes truncated
        (:func:`reid_training_boxes`, ``train_cfg.reid_*``); crops have the
        tracker's ``crop_size``, as at test time.

        Args:
            inputs (Tensor): (N, T, 3, H, W) clips (any frame order).
            data_samples (list): N ``TrackDataSample`` with ``gt_sem_seg``.

        Returns:
            dict: The embedder's losses (``loss_reid``, ...).
        """
        cfg = self.train_cfg
        crops, ids = [], []
        for n, (clip, sample) in enumerate(zip(inputs, data_samples)):
            frames = sample.video_data_samples
            h, w = frames[0].metainfo['img_shape'][:2]
            for img, frame in zip(clip[..., :h, :w], frames):
                seg = frame.gt_sem_seg.data[0, :h, :w].to(img.device)
                objects = [i for i in seg.unique().tolist() if 0 < i < 255]
                if not objects:
                    continue
                boxes = reid_training_boxes(
                    torch.stack([seg == i for i in objects]),
                    cfg['reid_jitter'], cfg['reid_truncate_prob'],
                    cfg['reid_min_keep'])
                crops.append(
                    crop_patches(img[None].expand(len(objects), -1, -1, -1),
                                 boxes.to(img), self.reid.crop_size))
                ids.append(self._instance_ids(frame, objects, n))
        if not crops:
            zero = sum(p.sum() for p in self.reid.embedder.parameters())
            return dict(loss_reid=zero * 0)
        return self.reid.embedder.loss(
            torch.cat(crops), torch.cat(ids).to(inputs.device))

    def _instance_ids(self, frame, objects: List[int], n: int) -> Tensor:
        """Ids of a frame's objects: ``video_id * max_objects + object id -
        1`` (unique in the dataset; the identity loss's classes) with
        ``train_cfg.reid_max_objects``, else ``n * 256 + object id`` for
        clip ``n`` of the batch (unique in the batch)."""
        objects = torch.tensor(objects)
        k = self.train_cfg.get('reid_max_objects')
        if k is None:
            return objects + n * 256
        if int(objects.max()) > k:
            raise ValueError(
                f'sequence {_video_name(frame)}: object id '
                f'{int(objects.max())} > train_cfg.reid_max_objects={k}')
        return frame.metainfo['video_id'] * k + objects - 1

    def mask_loss(self, inputs: Tensor,
                  data_samples: list) -> Dict[str, Tensor]:
        """Propagation loss on object patches of consecutive frame pairs.

        Args:
            inputs (Tensor): (N, T, 3, H, W) clips of consecutive frames.
            data_samples (list): N ``TrackDataSample`` with ``gt_sem_seg``
                (object ids) and, for precomputed flow, ``gt_flow``.

        Returns:
            dict: ``loss_mask`` and ``acc_mask`` (pixel accuracy, %).
        """
        if inputs.dim() != 5 or inputs.size(1) < 2:
            raise ValueError('VSReID trains on (N, T >= 2, C, H, W) clips, '
                             f'got shape {tuple(inputs.shape)}')
        imgs, motions, guides, targets = [], [], [], []
        for clip, sample in zip(inputs, data_samples):
            for img, motion, guide, target in self._clip_examples(
                    clip, sample.video_data_samples):
                guide = self.perturb(guide)
                boxes, valid = mask_boxes(guide[:, 0])
                if not valid.any():
                    continue
                lo, hi = self.train_cfg['context']
                ratio = lo + (hi - lo) * torch.rand(int(valid.sum()))
                boxes = expand_boxes(boxes[valid], ratio.to(boxes))
                size = tuple(self.train_cfg['patch_size'])
                i_p, f_p, g_p = self._patches(img[None], motion[None],
                                              guide[valid], boxes, size)
                t_p = crop_patches(target[valid, None].float(), boxes, size,
                                   mode='nearest')
                imgs.append(i_p)
                motions.append(f_p)
                guides.append(g_p)
                targets.append(t_p[:, 0].long())
        if not imgs:  # no object in the batch: a zero loss with gradients
            zero = sum(p.sum() for p in self.parameters()) * 0
            return dict(loss_mask=zero)
        logits = self.segment(torch.cat(imgs), torch.cat(motions),
                              torch.cat(guides))
        target = torch.cat(targets)
        loss = self.loss_cls(logits, target, ignore_index=255)
        valid = target != 255
        acc = (logits.argmax(1) == target)[valid].float().mean() * 100
        return dict(loss_mask=loss, acc_mask=acc.detach())

    # ---------------------------------------------------------- inference
    def propagate_step(self, img: Tensor, motion: Tensor,
                       guides: Tensor) -> Tensor:
        """Object probabilities in one frame from their guides.

        Args:
            img (Tensor): The frame, (1, 3, H, W), normalised.
            motion (Tensor): Flow aligned with the frame, (1, 2, H, W).
            guides (Tensor): K guide masks, (K, 1, H, W).

        Returns:
            Tensor: (K, H, W) object probabilities; 0 for empty guides.
        """
        h, w = img.shape[-2:]
        probs = img.new_zeros(guides.size(0), h, w)
        boxes, valid = mask_boxes(guides[:, 0])
        if not valid.any():
            return probs
        boxes = expand_boxes(boxes[valid], self.test_cfg['context'])
        size = tuple(self.test_cfg['patch_size'])
        i_p, f_p, g_p = self._patches(img, motion, guides[valid], boxes,
                                      size)
        p = self.segment(i_p, f_p, g_p).softmax(1)[:, 1:]
        if self.test_cfg['flip']:
            flip_f = f_p.flip(-1) * f_p.new_tensor([-1., 1.])[:, None, None]
            p_f = self.segment(i_p.flip(-1), flip_f, g_p.flip(-1))
            p = (p + p_f.softmax(1)[:, 1:].flip(-1)) / 2
        probs[valid] = paste_patches(p, boxes, (h, w))[:, 0]
        return probs

    def merge(self, probs: Tensor) -> Tensor:
        """(K, H, W) probabilities -> (H, W) index 0..K (0 background):
        argmax over objects, background below ``bg_thr``."""
        if probs.size(0) == 0:
            return probs.new_zeros(probs.shape[-2:], dtype=torch.long)
        best, idx = probs.max(0)
        return torch.where(best >= self.test_cfg['bg_thr'], idx + 1,
                           torch.zeros_like(idx))

    def propagate(self,
                  video: Dict,
                  start: int,
                  stop: int,
                  labels: Tensor,
                  objects: Optional[Sequence] = None,
                  guides: Optional[Dict[int, Tensor]] = None) -> None:
        """Propagate ``labels[start]`` to frames ``start +/- 1 ... stop``
        (inclusive; backward when ``stop < start``), writing ``labels``.

        Forward in time, a frame of ``video['ref_labels']`` (a later
        reference frame) gets its reference masks pasted over the
        propagated labels, so that the objects entering there start from
        them (whichever objects are propagated).

        Args:
            video (dict): ``frames`` (T, 3, H, W), ``flows`` (T - 1, 2, H,
                W), ``motion`` (T, 2, H, W), ``num_objects`` K and,
                optionally, ``ref_labels`` (``{frame: (H, W) long}``, the
                reference masks as object indices 1..K, 0 elsewhere).
            start (int): Frame whose labels are given.
            stop (int): Last frame to write.
            labels (Tensor): (T, H, W) long, 0..K, updated in place.
            objects (Sequence, optional): Object indices (1..K) to
                propagate; the others keep their labels in ``labels`` and
                are not overwritten. Defaults to all.
            guides (dict, optional): ``{object index: (H, W) mask}``: these
                objects' guides of the first frame written (``start +/-
                1``) instead of their propagated masks (a re-identified
                box, :class:`VOSReIDTracker`).
        """
        step = 1 if stop >= start else -1
        k = video['num_objects']
        objects = list(range(1, k + 1)) if objects is None else objects
        obj = torch.as_tensor(objects, device=labels.device)
        refs = video.get('ref_labels', {}) if step > 0 else {}
        for t in range(start + step, stop + step, step):
            prev = (labels[t - step][None] == obj[:, None, None]).float()
            if step > 0:
                guide = splat_forward(
                    prev[:, None],
                    video['flows'][t - 1:t].expand(len(objects), -1, -1, -1),
                    normalize=False)
            else:
                guide = warp_backward(
                    prev[:, None],
                    video['flows'][t:t + 1].expand(len(objects), -1, -1, -1))
            guide = (guide > 0.5).float()
            for i, g in (guides or {}).items() if t == start + step else ():
                if i not in objects:
                    raise ValueError(f'guide of object {i}, which is not '
                                     f'propagated ({objects})')
                guide[objects.index(i), 0] = g.to(guide)
            probs = self.propagate_step(video['frames'][t:t + 1],
                                        video['motion'][t:t + 1], guide)
            full = labels.new_zeros((k, ) + probs.shape[-2:]).float()
            full[obj - 1] = probs
            keep = ~torch.isin(labels[t], obj) & (labels[t] > 0)
            merged = self.merge(full)
            labels[t] = torch.where(keep, labels[t], merged)
            if t in refs:
                labels[t] = torch.where(refs[t] > 0, refs[t], labels[t])

    def _video_inputs(self, frames: Tensor, samples: Sequence) -> Dict:
        """Frames cropped to their size, flows, motion and the reference
        masks of one video.

        Frame 0 is a reference frame (DAVIS: the only one): its objects are
        its ``ref_object_ids`` (all objects of its mask when the meta has
        none). A later frame is one when its ``ref_object_ids`` lists
        objects (YouTube-VOS: objects that enter there); its mask must then
        be loaded. Objects are numbered 1..K in order of reference frame
        (then of ``ref_object_ids``); an object listed again later, or
        without a pixel in its reference mask, is left out.

        Returns:
            dict: ``frames``, ``flows``, ``motion``, ``name``,
            ``num_objects`` K, ``object_ids`` (the K dataset ids),
            ``ref_labels`` (``{frame: (H, W) long}``, each reference
            frame's new objects as indices 1..K, 0 elsewhere),
            and ``ref_frames`` (the K reference frames).
        """
        name = _video_name(samples[0])
        h, w = samples[0].metainfo['img_shape'][:2]
        frames = frames[..., :h, :w]
        object_ids, ref_frames, ref_labels = [], [], {}
        for t, sample in enumerate(samples):
            listed = sample.metainfo.get('ref_object_ids')
            if t > 0 and not listed:
                continue
            if 'gt_sem_seg' not in sample:
                where = 'the first frame' if t == 0 else \
                    f"reference frame {sample.metainfo.get('img_path', t)}"
                raise ValueError(f'sequence {name}: {where} has no mask '
                                 '(gt_sem_seg); VOS needs the reference mask')
            ids = sample.gt_sem_seg.data[0, :h, :w].to(frames.device).long()
            if listed is None:  # frame 0 without meta: all its objects
                listed = [i for i in ids.unique().tolist() if 0 < i < 255]
            new = [int(i) for i in listed if int(i) not in object_ids
                   and bool((ids == int(i)).any())]
            if not new:
                continue
            ref = torch.zeros_like(ids)
            for i in new:
                object_ids.append(i)
                ref_frames.append(t)
                ref[ids == i] = len(object_ids)
            ref_labels[t] = ref
        if not object_ids:
            meta = samples[0].metainfo
            what = meta['seg_map_path'] if 'seg_map_path' in meta else \
                f"of frame {meta.get('img_path', 0)}"
            later = ', nor has any later reference mask' if any(
                s.metainfo.get('ref_object_ids') for s in samples[1:]) else ''
            raise ValueError(f'sequence {name}: the first-frame mask '
                             f'{what} has no object{later}')
        flows = self._frame_flows(frames, samples)
        motion = motion_fields(flows) if len(frames) > 1 else \
            frames.new_zeros(1, 2, h, w)
        return dict(frames=frames, flows=flows, motion=motion, name=name,
                    num_objects=len(object_ids), object_ids=object_ids,
                    ref_labels=ref_labels, ref_frames=ref_frames)

    def predict(self, inputs: Tensor, data_samples: list) -> list:
        """Segment whole videos from their reference masks.

        Args:
            inputs (Tensor): (N, T, 3, H, W), each clip a whole video.
            data_samples (list): N ``TrackDataSample``; frame 0 and every
                frame whose ``ref_object_ids`` lists objects carry the
                reference masks of those objects (``gt_sem_seg``).

        Returns:
            list: ``data_samples``; every frame gets ``pred_sem_seg``
            (PixelData (1, H, W), DAVIS object ids, 0 background).
        """
        if inputs.dim() != 5:
            raise ValueError('VSReID predicts whole videos (N, T, C, H, W), '
                             f'got shape {tuple(inputs.shape)}')
        for clip, sample in zip(inputs, data_samples):
            samples = sample.video_data_samples
            video = self._video_inputs(clip, samples)
            labels = self.segment_video(video, samples)
            lut = labels.new_tensor([0] + video['object_ids'])
            for t, frame in enumerate(samples):
                frame.pred_sem_seg = PixelData(data=lut[labels[t]][None])
        return data_samples

    def segment_video(self, video: Dict, samples: Sequence) -> Tensor:
        """(T, H, W) object indices (0..K) of one video: forward
        propagation from the first reference frame (frame 0 in DAVIS), each
        later object starting from its reference frame
        (``video['ref_labels']``, see :meth:`propagate`), then
        re-identification when a ``reid`` module is set and
        ``test_cfg.reid`` is on."""
        num_frames = video['frames'].size(0)
        refs = video['ref_labels']
        first = min(refs)
        labels = refs[first].new_zeros((num_frames, ) + refs[first].shape)
        labels[first] = refs[first]
        self.propagate(video, first, num_frames - 1, labels)
        if self.reid is not None and self.test_cfg['reid']:
            self.reid.refine(self, video, samples, labels)
        return labels

    def _forward(self, inputs: Tensor,
                 data_samples: Optional[list] = None) -> Tensor:
        """Two-stream logits (N*T, 2, H, W) of every frame with an empty
        guide and zero flow (for FLOPs counting)."""
        frames, _ = self.to_frames(inputs, data_samples)
        n, _, h, w = frames.shape
        return self.segment(frames, frames.new_zeros(n, 2, h, w),
                            frames.new_zeros(n, 1, h, w))
