# Copyright (c) OpenMMLab. All rights reserved.
import json
from typing import Dict, List, Optional, Sequence

import torch
import torch.nn.functional as F
from mmdet.structures import DetDataSample
from mmdet.structures.bbox import bbox_overlaps
from mmdet.utils import OptConfigType, OptMultiConfig
from mmengine import fileio
from mmengine.model import BaseModule
from torch import Tensor

from mmvidseg.registry import MODELS
from ..utils.flow_warp import crop_patches, mask_boxes


@MODELS.register_module()
class VOSReIDTracker(BaseModule):
    """VS-ReID's re-identification module: find lost objects again.

    After propagation, an object whose mask vanished (it left the frame or
    was occluded), shrank below ``lost_area_ratio`` of its reference area
    or, with ``verify_th``, no longer looks like the object (its mask
    is then removed from that frame), is searched for frame by frame among
    candidate boxes. An object's reference is its mask in its reference
    frame (``video['ref_frames']``: frame 0 in DAVIS, the frame where it
    enters in YouTube-VOS; frame 0 when the video gives none); it is
    searched for only after that frame.

    * candidates come from ``detector`` (any mmdet detector config, run on
      each frame, boxes scored above ``det_score_thr``) or from
      ``proposal_file``, a JSON of pre-computed boxes (as the release used
      pickles): ``{video_name: {frame_index: [[x1, y1, x2, y2, score],
      ...]}}``;
    * each candidate crop is embedded by ``embedder`` (mmdet's ReID model,
      ``dict(type='mmdet.BaseReID', backbone=..., neck=...,
      head=dict(type='mmdet.LinearReIDHead', ...))``, which needs
      mmpretrain) or, with ``embedder=None``, by the propagation model's
      own RGB stream (the crop, guide channel 1, average-pooled);
    * a candidate whose cosine similarity to the object's templates (its
      reference box, the boxes where it was re-identified and, with
      ``last_template``, its box in the last frame where propagation still
      tracked it, at least ``min_size`` on each side) exceeds
      ``reid_th`` and whose box overlaps no box of a tracked object by more
      than ``bbox_occ_th`` (IoU) re-starts the object: the box becomes the
      guide of one propagation step on that frame, and the mask is
      propagated forward to the end and backward to the frame after the
      one where the object was last seen.

    Frames are visited in time order; in each, the objects lost there
    share the candidates: the most similar (object, candidate) pair above
    ``reid_th`` is matched first, then the next among the rest, so that two
    lost objects never take one box and an object re-started earlier (now
    tracked) cannot be taken by another. With ``confirm``, a match re-starts
    the object only if the next frame also holds a candidate above
    ``reid_th`` for it that overlaps the matched box (a guard against a
    single-frame look-alike or a sliver).

    Args:
        embedder (dict, optional): ReID model config; None uses the
            propagation backbone.
        detector (dict, optional): mmdet detector config.
        proposal_file (str, optional): JSON of pre-computed boxes.
        reid_th (float): Similarity threshold. Defaults to 0.5.
        bbox_occ_th (float): Largest IoU with a tracked object's box.
            Defaults to 0.3.
        occ_margin (float, optional): None: a candidate overlapping a
            tracked object's box by more than ``bbox_occ_th`` is dropped
            (the paper). A float: such a candidate stays a candidate of a
            lost object if its similarity to that object's templates
            exceeds its similarity to the templates of every tracked object
            it overlaps by more than ``occ_margin``: a returning object
            whose pixels a neighbour took while it was lost (the
            neighbour's box then covers it) can come back, while the
            neighbour itself, or a look-alike of the lost object beside it,
            cannot. Defaults to None.
        det_score_thr (float): Smallest candidate score. Defaults to 0.5.
        crop_size (tuple): (h, w) of the embedded crops.
        min_size (int): Smallest candidate side in pixels. Defaults to 2.
        lost_area_ratio (float): An object counts as lost in a frame where
            its mask is smaller than this fraction of its reference area
            (0: only when it has no pixel). Defaults to 0.
        backward (bool): Also propagate a re-started object backward in
            time (as the paper). Defaults to True.
        confirm (bool): Require the match to hold in the next frame too.
            Defaults to False.
        last_template (bool): Add the object's last tracked box (before
            each loss) to its templates. Defaults to False.
        joint_restart (bool): Re-start propagation of *all* objects from
            the re-identification frame (the paper's re-start): the frame
            is segmented again with the re-identified object's box as its
            guide and the others' masks propagated from the previous
            frame, merged by argmax, and every object is propagated
            forward from there; so the re-started object can win back
            pixels another object took while it was lost. False: only the
            re-started object is propagated, into pixels no other object
            holds. Forward re-starts only (``backward`` still propagates
            the re-started object alone). A joint re-start is undone when
            another object keeps less than ``joint_keep_ratio`` of its
            pixels in that frame (the match took its mask). Defaults to
            False.
        joint_keep_ratio (float): See ``joint_restart``. Defaults to 0.5.
        restart_iters (int): After the box-guided segmentation of the
            re-identification frame, segment that frame again this many
            times with the re-started objects' masks as their guides (a
            filled box is unlike the propagated masks the network was
            trained on; its own mask is closer). Defaults to 0.
        verify_th (float, optional): An object whose tracked mask's box (at
            least ``min_size`` on each side) has a similarity below this to
            all of its templates counts as lost in that frame and its mask
            there is removed: propagation painted it onto something else
            (typically the occluder hiding it). None: only the area rule
            (``lost_area_ratio``) decides. Defaults to None.
        clear_gap (bool): Once an object is re-started, remove what is
            left of it (below the lost area) in the frames between its
            last tracked frame and the re-start: it was hidden there, and
            the remnants sit on the occluder. Needs ``backward=False``
            (backward propagation re-writes those frames). Defaults to
            False.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 embedder: OptConfigType = None,
                 detector: OptConfigType = None,
                 proposal_file: Optional[str] = None,
                 reid_th: float = 0.5,
                 bbox_occ_th: float = 0.3,
                 occ_margin: Optional[float] = None,
                 det_score_thr: float = 0.5,
                 crop_size: Sequence[int] = (64, 64),
                 min_size: int = 2,
                 lost_area_ratio: float = 0.0,
                 backward: bool = True,
                 confirm: bool = False,
                 last_template: bool = False,
                 joint_restart: bool = False,
                 joint_keep_ratio: float = 0.5,
                 restart_iters: int = 0,
                 verify_th: Optional[float] = None,
                 clear_gap: bool = False,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if (detector is None) == (proposal_file is None):
            raise ValueError('VOSReIDTracker needs exactly one of detector '
                             'and proposal_file')
        self.embedder = MODELS.build(embedder) if embedder else None
        self.detector = MODELS.build(detector) if detector else None
        self.proposal_file = proposal_file
        self._proposals = None
        self.reid_th = reid_th
        self.bbox_occ_th = bbox_occ_th
        self.occ_margin = occ_margin
        self.det_score_thr = det_score_thr
        self.crop_size = tuple(crop_size)
        self.min_size = min_size
        self.lost_area_ratio = lost_area_ratio
        self.backward = backward
        self.confirm = confirm
        self.last_template = last_template
        self.joint_restart = joint_restart
        self.joint_keep_ratio = joint_keep_ratio
        if restart_iters < 0:
            raise ValueError(
                f'restart_iters must be >= 0, got {restart_iters}')
        self.restart_iters = int(restart_iters)
        if clear_gap and backward:
            raise ValueError(
                'VOSReIDTracker: clear_gap=True needs backward=False '
                '(backward propagation re-writes the frames it would clear)')
        self.clear_gap = clear_gap
        self.verify_th = verify_th

    # --------------------------------------------------------- candidates
    def _load_proposals(self) -> Dict:
        if self._proposals is None:
            try:
                text = fileio.get_text(self.proposal_file)
            except FileNotFoundError:
                raise FileNotFoundError(
                    f'proposal file {self.proposal_file} does not '
                    'exist') from None
            self._proposals = json.loads(text)
        return self._proposals

    def candidates(self, video: Dict, samples: Sequence, t: int) -> Tensor:
        """Candidate boxes (M, 4) of frame ``t`` of a video."""
        frames = video['frames']
        if self.detector is not None:
            return self._detect(frames[t:t + 1], samples[t])
        props = self._load_proposals()
        if video['name'] not in props:
            raise KeyError(f'proposal file {self.proposal_file} has no '
                           f"sequence {video['name']}")
        boxes = props[video['name']].get(str(t), [])
        boxes = frames.new_tensor(boxes).reshape(-1, 5)
        keep = boxes[:, 4] >= self.det_score_thr
        return boxes[keep, :4]

    @torch.no_grad()
    def _detect(self, frame: Tensor, sample) -> Tensor:
        """Run the detector on one normalised frame (1, 3, H, W)."""
        meta = dict(sample.metainfo)
        h, w = frame.shape[-2:]
        meta.update(img_shape=(h, w), ori_shape=(h, w), scale_factor=(1, 1))
        det_sample = DetDataSample(metainfo=meta)
        out = self.detector.predict(frame, [det_sample])[0].pred_instances
        keep = out.scores >= self.det_score_thr
        return out.bboxes[keep].reshape(-1, 4).to(frame)

    # ---------------------------------------------------------- embedding
    @torch.no_grad()
    def embed(self, model, frame: Tensor, boxes: Tensor) -> Tensor:
        """L2-normalised embeddings (M, D) of M boxes of one frame."""
        if boxes.size(0) == 0:
            return frame.new_zeros(0, 1)
        crops = crop_patches(
            frame.expand(boxes.size(0), -1, -1, -1), boxes, self.crop_size)
        if self.embedder is not None:
            feats = self.embedder(crops, mode='tensor')
        else:
            guide = crops.new_ones(crops.size(0), 1, *crops.shape[-2:])
            x = model.backbone(torch.cat([crops, guide], 1))[-1]
            feats = x.mean((2, 3))
        if isinstance(feats, (tuple, list)):
            feats = feats[-1]
        return F.normalize(feats.flatten(1), dim=1)

    # ---------------------------------------------------------- re-start
    def _tracked_boxes(self, labels: Tensor, skip: Sequence[int]) -> tuple:
        """Object indices (list of J) of a label map not in ``skip`` and
        their boxes (J, 4)."""
        ids = [i for i in labels.unique().tolist() if i not in (0, *skip)]
        if not ids:
            return ids, labels.new_zeros(0, 4).float()
        masks = torch.stack([labels == i for i in ids]).float()
        return ids, mask_boxes(masks)[0]

    def _similarities(self, model, video, samples, t: int,
                      lost: Sequence[int], templates: Dict) -> tuple:
        """Candidate boxes (M, 4) of frame ``t`` that are big enough, and
        their similarities (M, L) to the templates of the ``lost`` objects;
        a (candidate, object) pair the overlap gate rules out has
        similarity -2."""
        boxes = self.candidates(video, samples, t)
        size = boxes[:, 2:] - boxes[:, :2]
        boxes = boxes[(size >= self.min_size).all(1)]
        ids, tracked = self._tracked_boxes(video['labels'][t], lost)
        occ = boxes.new_zeros(boxes.size(0), len(ids))
        if boxes.size(0) and tracked.size(0):
            occ = bbox_overlaps(boxes, tracked)
        overlapped = occ > self.bbox_occ_th
        if self.occ_margin is None:
            keep = ~overlapped.any(1)
            boxes, overlapped = boxes[keep], overlapped[keep]
        if boxes.size(0) == 0:
            return boxes, boxes.new_zeros(0, len(lost))
        emb = self.embed(model, video['frames'][t:t + 1], boxes)
        sim = torch.stack([(emb @ templates[k].t()).amax(1) for k in lost],
                          1)
        if overlapped.any():
            # the box overlaps tracked objects: it stays a candidate of a
            # lost object only if it looks more like that object than like
            # each of them (an object with no template always wins)
            rival = torch.stack([
                (emb @ templates[j].t()).amax(1) if j in templates else
                emb.new_full((emb.size(0), ), 2.) for j in ids
            ], 1)
            rival = rival.masked_fill(~overlapped, -2).amax(1, keepdim=True)
            blocked = overlapped.any(1, keepdim=True) & (
                sim <= rival + self.occ_margin)
            sim = sim.masked_fill(blocked, -2)
        return boxes, sim

    def _confirmed(self, model, video, samples, t: int, k: int,
                   box: Tensor, templates: Dict) -> bool:
        """Whether frame ``t + 1`` holds a candidate above ``reid_th`` for
        object ``k`` that overlaps ``box``."""
        if t + 1 >= video['labels'].size(0):
            return True
        boxes, sim = self._similarities(model, video, samples, t + 1, [k],
                                        templates)
        if boxes.size(0) == 0:
            return False
        near = bbox_overlaps(boxes, box[None])[:, 0] > 0
        return bool(((sim[:, 0] > self.reid_th) & near).any())

    def _match(self, model, video, samples, t: int, lost: Sequence[int],
               templates: Dict) -> List:
        """``[(object, box (4, )), ...]``: the lost objects of frame ``t``
        matched to candidates, most similar pair first, one box each."""
        boxes, sim = self._similarities(model, video, samples, t, lost,
                                        templates)
        matches = []
        sim = sim.clone()
        while sim.numel() and sim.max() > self.reid_th:
            m, j = divmod(int(sim.argmax()), sim.size(1))
            sim[m, :] = -2
            sim[:, j] = -2
            if self.confirm and not self._confirmed(
                    model, video, samples, t, lost[j], boxes[m], templates):
                continue
            matches.append((lost[j], boxes[m]))
        return matches

    def _restart(self, model, video: Dict, t: int, k: int, box: Tensor,
                 last_seen: int, frame_guides: Dict) -> bool:
        """Segment object ``k`` in frame ``t`` from its box and propagate
        it forward and back to ``last_seen + 1``; ``frame_guides`` holds the
        box guides of the objects re-started in frame ``t`` before (joint
        re-starts segment them again) and gets ``k``'s."""
        labels = video['labels']
        h, w = labels.shape[-2:]
        guide = labels.new_zeros(1, 1, h, w).float()
        x1, y1, x2, y2 = box.round().long().tolist()
        guide[..., max(y1, 0):y2, max(x1, 0):x2] = 1
        if self.joint_restart:
            frame_guides[k] = guide[0, 0]
            restarted = self._restart_joint(model, video, t, k,
                                            frame_guides)
            if not restarted:
                frame_guides.pop(k)
        else:
            restarted = self._restart_alone(model, video, t, k, guide)
        if restarted and self.backward and t > last_seen + 1:
            model.propagate(video, t, last_seen + 1, labels, objects=[k])
        return restarted

    def _restart_alone(self, model, video: Dict, t: int, k: int,
                       guide: Tensor) -> bool:
        """Segment object ``k`` in frame ``t`` from its box guide (1, 1, H,
        W) into pixels no other object holds, and propagate it alone."""
        labels = video['labels']
        free = (labels[t] == 0) | (labels[t] == k)
        for _ in range(self.restart_iters + 1):
            probs = model.propagate_step(video['frames'][t:t + 1],
                                         video['motion'][t:t + 1], guide)[0]
            new = (probs >= model.test_cfg['bg_thr']) & free
            if not new.any():
                return False
            guide = new[None, None].float()
        labels[t][labels[t] == k] = 0
        labels[t][new] = k
        num_frames = labels.size(0)
        if t < num_frames - 1:
            model.propagate(video, t, num_frames - 1, labels, objects=[k])
        return True

    def _restart_joint(self, model, video: Dict, t: int, k: int,
                       guides: Dict) -> bool:
        """Segment frame ``t`` again, the objects of ``guides`` (``k`` and
        those re-started in frame ``t`` before) from their box guides (H,
        W) and the others from frame ``t - 1``, merged by argmax, then
        propagate every object forward; frame ``t`` is left as it was if
        ``k`` gets no pixel or another object keeps less than
        ``joint_keep_ratio`` of its pixels."""
        labels = video['labels']
        before = labels[t].clone()
        model.propagate(video, t - 1, t, labels, guides=guides)
        for _ in range(self.restart_iters):
            masks = {j: (labels[t] == j).float() for j in guides}
            if not masks[k].any():
                break
            labels[t] = before
            model.propagate(video, t - 1, t, labels, guides=masks)
        others = [
            j for j in range(1, video['num_objects'] + 1) if j not in guides
        ]
        taken = any((labels[t] == j).sum() < self.joint_keep_ratio *
                    (before == j).sum() for j in others)
        if taken or not (labels[t] == k).any():
            labels[t] = before
            return False
        if t < labels.size(0) - 1:
            model.propagate(video, t, labels.size(0) - 1, labels)
        return True

    def _add_last_templates(self, model, video: Dict, lost: Sequence[int],
                            last_seen: Dict, templates: Dict, added: Dict,
                            ref_frames: Dict) -> None:
        """Add each newly lost object's box of its last tracked frame to its
        templates (once per loss; not for its reference frame
        ``ref_frames[k]``, not when the box is thinner than
        ``min_size``)."""
        labels = video['labels']
        for k in lost:
            t = last_seen[k]
            if t == ref_frames[k] or t in added.setdefault(k, set()):
                continue
            added[k].add(t)
            box, valid = mask_boxes((labels[t] == k)[None].float())
            if not valid.any() or (box[0, 2:] - box[0, :2] <
                                   self.min_size).any():
                continue
            templates[k] = torch.cat([
                templates[k],
                self.embed(model, video['frames'][t:t + 1], box)
            ])

    def _verified(self, model, video: Dict, t: int, k: int,
                  templates: Dict) -> bool:
        """Whether object ``k``'s mask in frame ``t`` looks like it
        (``verify_th``; a box thinner than ``min_size`` is not judged)."""
        if self.verify_th is None:
            return True
        box, _ = mask_boxes((video['labels'][t] == k)[None].float())
        if (box[0, 2:] - box[0, :2] < self.min_size).any():
            return True
        emb = self.embed(model, video['frames'][t:t + 1], box)
        return bool((emb @ templates[k].t()).max() >= self.verify_th)

    def refine(self, model, video: Dict, samples: Sequence,
               labels: Tensor) -> List:
        """Re-identify lost objects in place in ``labels`` (T, H, W).

        Args:
            model (VSReID): The propagation model.
            video (dict): See :meth:`VSReID.propagate` (plus ``name`` and,
                optionally, ``ref_frames``, the K objects' reference
                frames; all 0 when absent).
            samples (Sequence): The T frame data samples.
            labels (Tensor): Object indices 0..K per frame, updated.

        Returns:
            list[tuple]: ``(frame, object index)`` of each re-start.
        """
        video = dict(video, labels=labels)
        num_objects = video['num_objects']
        ref_frames = dict(
            zip(range(1, num_objects + 1),
                video.get('ref_frames') or [0] * num_objects))
        templates, min_area, last_seen = {}, {}, {}
        added = {}  # object -> frames whose box is a template already
        for k, r in ref_frames.items():
            box0, valid = mask_boxes((labels[r] == k)[None].float())
            if not valid.any():
                continue
            templates[k] = self.embed(model, video['frames'][r:r + 1], box0)
            min_area[k] = max(self.lost_area_ratio * (labels[r] == k).sum(),
                              1)
            last_seen[k] = r
        restarts = []
        for t in range(1, labels.size(0)):
            frame_guides = {}
            lost = []
            for k in templates:
                if t <= ref_frames[k]:  # not there yet: not lost
                    continue
                area = (labels[t] == k).sum()
                if area and not self._verified(model, video, t, k,
                                               templates):
                    labels[t][labels[t] == k] = 0
                    area = 0
                if area >= min_area[k]:
                    last_seen[k] = t
                else:
                    lost.append(k)
            if not lost:
                continue
            if self.last_template:
                self._add_last_templates(model, video, lost, last_seen,
                                         templates, added, ref_frames)
            for k, box in self._match(model, video, samples, t, lost,
                                      templates):
                if not self._restart(model, video, t, k, box, last_seen[k],
                                     frame_guides):
                    continue
                if self.clear_gap:
                    gap = labels[last_seen[k] + 1:t]
                    gap[gap == k] = 0
                restarts.append((t, k))
                templates[k] = torch.cat([
                    templates[k],
                    self.embed(model, video['frames'][t:t + 1], box[None])
                ])
                last_seen[k] = t
        return restarts
