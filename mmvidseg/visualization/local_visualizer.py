# Copyright (c) OpenMMLab. All rights reserved.
"""Drawing of video perception outputs, one frame at a time."""
from typing import List, Optional, Tuple

import cv2
import mmcv
import numpy as np
import torch
from mmdet.visualization.palette import _get_adaptive_scales, get_palette
from mmengine.visualization import Visualizer

from mmvidseg.registry import VISUALIZERS
from mmvidseg.structures import IGNORE_INDEX, LABEL_DIVISOR

#: Track colours: COCO-panoptic's 133 distinct colours (mmdet's palette).
_TRACK_PALETTE: List[Tuple[int, int, int]] = []
#: Knuth's multiplicative hash constant (2**32 / golden ratio).
_HASH = 2654435761


def track_color(track_id: int) -> Tuple[int, int, int]:
    """RGB colour of a track id: the same in every frame, run and process.

    The id goes through Knuth's multiplicative hash (not Python's ``hash``,
    which is salted per process) into COCO-panoptic's 133-colour palette
    (``mmdet.visualization.palette.get_palette('coco', 133)``), so
    consecutive ids get unrelated colours.

    Args:
        track_id (int): The track id (>= 0).

    Returns:
        tuple[int, int, int]: RGB colour, 0-255.
    """
    if not _TRACK_PALETTE:
        _TRACK_PALETTE.extend(
            tuple(int(c) for c in rgb) for rgb in get_palette('coco', 133))
    index = (int(track_id) * _HASH) % 2**32 % len(_TRACK_PALETTE)
    return _TRACK_PALETTE[index]


def _numpy(data) -> np.ndarray:
    """A tensor (any device) or array-like as a numpy array."""
    if isinstance(data, torch.Tensor):
        return data.detach().cpu().numpy()
    if hasattr(data, 'masks'):  # mmdet BitmapMasks
        return np.asarray(data.masks)
    return np.asarray(data)


def _fit(arr: np.ndarray, shape: Tuple[int, int]) -> np.ndarray:
    """Nearest-neighbour resize of a (H', W', ...) map to ``shape`` (H, W).

    Works for any dtype (label maps, ids); a no-op at the right size.
    """
    h, w = shape
    if arr.shape[:2] == (h, w):
        return arr
    rows = (np.arange(h) * arr.shape[0] // h).clip(0, arr.shape[0] - 1)
    cols = (np.arange(w) * arr.shape[1] // w).clip(0, arr.shape[1] - 1)
    return arr[rows[:, None], cols[None, :]]


def _blend(image: np.ndarray, colour: np.ndarray, mask: np.ndarray,
           alpha: float) -> np.ndarray:
    """``image`` (H, W, 3) with ``colour`` (H, W, 3) blended in on the
    (H, W) bool ``mask`` with opacity ``alpha``."""
    out = image.copy()
    mixed = (1 - alpha) * image[mask] + alpha * colour[mask]
    out[mask] = np.clip(np.rint(mixed), 0, 255).astype(np.uint8)
    return out


def _boundaries(ids: np.ndarray) -> np.ndarray:
    """(H, W) bool: pixels whose right or lower neighbour has another id."""
    edge = np.zeros(ids.shape, bool)
    edge[:, :-1] |= ids[:, :-1] != ids[:, 1:]
    edge[:-1, :] |= ids[:-1, :] != ids[1:, :]
    return edge


def _box_of(mask: np.ndarray) -> np.ndarray:
    """(4,) xyxy box (exclusive x2/y2) of a non-empty (H, W) bool mask."""
    rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
    return np.array([cols[0], rows[0], cols[-1] + 1, rows[-1] + 1], float)


def _single_frame(data_sample):
    """The one frame sample of a ``DetDataSample`` or of a one-frame
    ``TrackDataSample``."""
    if data_sample is None or 'video_data_samples' not in data_sample:
        return data_sample
    frames = data_sample.video_data_samples
    if len(frames) != 1:
        raise ValueError(f'add_datasample draws one frame; the sample holds '
                         f'{len(frames)}: pass its frames one by one')
    return frames[0]


@VISUALIZERS.register_module()
class VideoLocalVisualizer(Visualizer):
    """Draws the frames of video perception tasks (mmvidseg's fields).

    Per frame (a ``DetDataSample``; see :mod:`mmvidseg.structures`), a
    ground-truth panel (``gt_*``) and a prediction panel (``pred_*``),
    side by side, each followed by extra panels for dense non-label maps:

    * ``*_panoptic_seg`` (``class * 1000 + track``): stuff in its class
      colour, every thing segment in the colour of its **track id**
      (:func:`track_color`: derived from the id only, so a track keeps its
      colour in every frame), with segment boundaries and ``class id``
      text;
    * ``*_sem_seg``: class colours (``dataset_meta['palette']``, random
      colours of mmdet's ``get_palette`` where missing); void left bare;
    * ``gt_instances`` / ``pred_track_instances`` / ``pred_instances``:
      masks in their track colour (class colour without ids), boxes when
      present, ``id class score`` text; scores below ``pred_score_thr``
      are not drawn. With a panoptic map only their boxes and text;
    * ``*_depth``: an extra panel, a colour map (near bright, no depth
      black);
    * ``gt_flow`` / ``pred_flow`` / ``pred_voxel_flow``: an extra panel,
      ``mmcv.flow2rgb``;
    * ``pred_frame`` (frame synthesis): an extra panel.

    Args:
        name (str): Instance name. Defaults to 'visualizer'.
        image (np.ndarray, optional): Image to draw on (RGB).
        vis_backends (list[dict], optional): Visual backends.
        save_dir (str, optional): Where the backends save.
        alpha (float): Opacity of masks and label maps. Defaults to 0.5.
        text_color (tuple): RGB colour of the text. Defaults to white.
        draw_text (bool): Draw the id / class / score text (and boxes).
            Defaults to True.
        max_depth (float, optional): Depth (metres) of the far end of the
            colour map. Defaults to None (each frame's maximum).
    """

    def __init__(self,
                 name: str = 'visualizer',
                 image: Optional[np.ndarray] = None,
                 vis_backends: Optional[List[dict]] = None,
                 save_dir: Optional[str] = None,
                 alpha: float = 0.5,
                 text_color: Tuple[int, int, int] = (255, 255, 255),
                 draw_text: bool = True,
                 max_depth: Optional[float] = None) -> None:
        super().__init__(
            name=name,
            image=image,
            vis_backends=vis_backends,
            save_dir=save_dir)
        self.alpha = alpha
        self.text_color = tuple(text_color)
        self.draw_text = draw_text
        self.max_depth = max_depth

    # ------------------------------------------------------------ classes
    def class_palette(self, num_classes: int) -> np.ndarray:
        """(num_classes, 3) uint8 RGB class colours: the dataset palette,
        completed with mmdet's deterministic random colours."""
        meta = self.dataset_meta or {}
        palette = [tuple(c) for c in (meta.get('palette') or [])]
        if len(palette) < num_classes:
            extra = get_palette('random', num_classes)
            palette = palette + list(extra[len(palette):])
        return np.array(palette[:max(num_classes, 1)] or [(0, 0, 0)],
                        np.uint8).reshape(-1, 3)

    def class_name(self, label: int) -> str:
        """Name of a class id (the id itself without ``classes``)."""
        classes = (self.dataset_meta or {}).get('classes')
        if classes is not None and 0 <= label < len(classes):
            return str(classes[label])
        return str(label)

    # ----------------------------------------------------------- drawing
    def draw_sem_seg(self, image: np.ndarray, sem_seg) -> np.ndarray:
        """Blend class colours over ``image``.

        Args:
            image (np.ndarray): RGB (H, W, 3) uint8.
            sem_seg (Tensor | np.ndarray): (1, H, W) or (H, W) class ids;
                ``IGNORE_INDEX`` and negatives are void (not drawn).

        Returns:
            np.ndarray: RGB (H, W, 3) uint8.
        """
        sem = _fit(_numpy(sem_seg).reshape(_numpy(sem_seg).shape[-2:]),
                   image.shape[:2]).astype(np.int64)
        valid = (sem >= 0) & (sem != IGNORE_INDEX)
        num = int(sem[valid].max()) + 1 if valid.any() else 1
        colour = self.class_palette(num)[np.where(valid, sem, 0)]
        return _blend(image, colour, valid, self.alpha)

    def draw_panoptic_seg(self, image: np.ndarray,
                          panoptic_seg) -> Tuple[np.ndarray, list]:
        """Blend a panoptic map over ``image``, things by track id.

        Args:
            image (np.ndarray): RGB (H, W, 3) uint8.
            panoptic_seg (Tensor | np.ndarray): (1, H, W) or (H, W) ids
                ``class * LABEL_DIVISOR + track``; void class
                ``IGNORE_INDEX``.

        Returns:
            tuple: the drawn RGB (H, W, 3) uint8 image and the labels of
            the things, ``[(text, (4,) xyxy box, RGB colour)]``.
        """
        raw = _numpy(panoptic_seg)
        pan = _fit(raw.reshape(raw.shape[-2:]),
                   image.shape[:2]).astype(np.int64)
        classes, tracks = pan // LABEL_DIVISOR, pan % LABEL_DIVISOR
        valid = (pan >= 0) & (classes != IGNORE_INDEX)
        num = int(classes[valid].max()) + 1 if valid.any() else 1
        colour = self.class_palette(num)[np.where(valid, classes, 0)]
        labels = []
        for pid in np.unique(pan[valid & (tracks > 0)]).tolist():
            mask = pan == pid
            rgb = track_color(pid % LABEL_DIVISOR)
            colour[mask] = rgb
            text = (f'{self.class_name(pid // LABEL_DIVISOR)} '
                    f'{pid % LABEL_DIVISOR}')
            labels.append((text, _box_of(mask), rgb))
        drawn = _blend(image, colour, valid, self.alpha)
        edge = _boundaries(pan) & valid & (tracks > 0)
        drawn[edge] = colour[edge]
        return drawn, labels

    def draw_instance_masks(self,
                            image: np.ndarray,
                            instances,
                            score_thr: Optional[float] = None,
                            with_masks: bool = True
                            ) -> Tuple[np.ndarray, list]:
        """Blend instance masks over ``image``, in their track colours.

        Args:
            image (np.ndarray): RGB (H, W, 3) uint8.
            instances (InstanceData): ``masks`` (K, H, W) (tensor, array or
                ``BitmapMasks``), ``labels`` (K,), optionally ``scores``
                (K,), ``instances_id`` / ``instances_ids`` (K,) track ids
                and ``bboxes`` (K, 4) xyxy.
            score_thr (float, optional): Instances scoring below it are not
                drawn. Defaults to None (all).
            with_masks (bool): Blend the masks (else only labels).

        Returns:
            tuple: the drawn RGB (H, W, 3) uint8 image and
            ``[(text, (4,) xyxy box, RGB colour)]``.
        """
        fields = {k: _numpy(instances.get(k)) for k in
                  ('masks', 'labels', 'scores', 'bboxes', 'instances_id',
                   'instances_ids') if instances.get(k) is not None}
        ids = fields.get('instances_id', fields.get('instances_ids'))
        labels = fields.get('labels', np.zeros(len(instances), int))
        keep = np.ones(len(instances), bool)
        if score_thr is not None and 'scores' in fields:
            keep = fields['scores'] >= score_thr
        drawn, out = image, []
        for k in np.flatnonzero(keep).tolist():
            mask = None
            if 'masks' in fields:
                mask = _fit(fields['masks'][k].astype(bool), image.shape[:2])
            if ids is not None:
                # ground-truth ids may be panoptic ids (class * 1000 +
                # track): the track part, as on the panoptic map
                tid = int(ids[k])
                tid = tid % LABEL_DIVISOR if tid >= LABEL_DIVISOR else tid
                rgb = track_color(tid)
            else:
                rgb = tuple(self.class_palette(int(labels[k]) + 1)[-1])
            if with_masks and mask is not None and mask.any():
                drawn = _blend(drawn, np.broadcast_to(
                    np.array(rgb, np.uint8), image.shape), mask, self.alpha)
            if 'bboxes' in fields:
                box = fields['bboxes'][k].astype(float)
            elif mask is not None and mask.any():
                box = _box_of(mask)
            else:
                continue
            text = ' '.join(
                ([str(tid)] if ids is not None else []) +
                [self.class_name(int(labels[k]))] +
                ([f'{float(fields["scores"][k]):.2f}']
                 if 'scores' in fields else []))
            out.append((text, box, tuple(int(c) for c in rgb)))
        return drawn, out

    def draw_depth(self, depth, shape: Tuple[int, int]) -> np.ndarray:
        """A depth map as an RGB colour map (near bright, 0 = no depth).

        Args:
            depth (Tensor | np.ndarray): (1, H, W) or (H, W) metres.
            shape (tuple): (H, W) of the panel.

        Returns:
            np.ndarray: RGB (H, W, 3) uint8.
        """
        raw = _numpy(depth).astype(np.float32)
        d = _fit(raw.reshape(raw.shape[-2:]), shape)
        valid = d > 0
        top = self.max_depth or (float(d[valid].max()) if valid.any() else 1)
        near = 1 - np.clip(d / max(top, 1e-6), 0, 1)
        rgb = cv2.applyColorMap(
            np.rint(255 * near).astype(np.uint8), cv2.COLORMAP_MAGMA)[...,
                                                                      ::-1]
        rgb = np.ascontiguousarray(rgb)
        rgb[~valid] = 0
        return rgb

    @staticmethod
    def draw_flow(flow, shape: Tuple[int, int]) -> np.ndarray:
        """Optical flow as colours (``mmcv.flow2rgb``).

        Args:
            flow (Tensor | np.ndarray): (2+, H, W) or (H, W, 2) pixels;
                channels after the second (e.g. a voxel-flow mask) are
                ignored.
            shape (tuple): (H, W) of the panel.

        Returns:
            np.ndarray: RGB (H, W, 3) uint8.
        """
        raw = _numpy(flow).astype(np.float32)
        if raw.ndim == 3 and raw.shape[-1] != 2:
            raw = raw[:2].transpose(1, 2, 0)
        rgb = mmcv.flow2rgb(_fit(raw, shape))
        return np.rint(255 * np.clip(rgb, 0, 1)).astype(np.uint8)

    def _render(self, image: np.ndarray, labels: list) -> np.ndarray:
        """Draw the boxes and texts of ``labels`` (matplotlib), if any."""
        if not labels or not self.draw_text:
            return image
        self.set_image(image)
        height, width = image.shape[:2]
        # inside the image (x2/y2 are exclusive edges): no matplotlib warning
        boxes = np.stack([box for _, box, _ in labels]).clip(
            0, [width - 1, height - 1, width - 1, height - 1])
        areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
        # mmdet's sizes (13 px on large objects), at most a tenth of a
        # small frame's height
        sizes = np.minimum(13 * _get_adaptive_scales(areas),
                           max(height / 10, 5)).astype(int)
        for (text, _, rgb), box, size in zip(labels, boxes, sizes):
            self.draw_bboxes(box[None], edge_colors=[rgb], line_widths=1)
            self.draw_texts(
                text,
                box[:2][None],
                colors=[self.text_color],
                font_sizes=int(size),
                bboxes=[dict(facecolor=np.array(rgb) / 255, alpha=0.8,
                             pad=0.7, edgecolor='none')])
        drawn = self.get_image()  # None off the master process
        return image if drawn is None else drawn

    def _panels(self, image: np.ndarray, frame, prefix: str,
                score_thr: Optional[float]) -> List[np.ndarray]:
        """The panels of one frame's ``gt`` or ``pred`` fields (empty when
        it has none)."""
        main, labels, found = image, [], False
        pan, sem = frame.get(f'{prefix}_panoptic_seg'), frame.get(
            f'{prefix}_sem_seg')
        if pan is not None:
            main, labels = self.draw_panoptic_seg(main, pan.sem_seg)
        elif sem is not None:
            main = self.draw_sem_seg(main, sem.data)
        found = pan is not None or sem is not None
        names = ('gt_instances', ) if prefix == 'gt' else (
            'pred_track_instances', 'pred_instances')
        inst = next((frame.get(n) for n in names if n in frame), None)
        if inst is not None:
            main, inst_labels = self.draw_instance_masks(
                main, inst, score_thr, with_masks=pan is None)
            labels, found = inst_labels, True
        panels = [self._render(main, labels)] if found else []
        shape = image.shape[:2]
        extra = frame.get(f'{prefix}_depth')
        if extra is not None:
            panels.append(self.draw_depth(extra.data, shape))
        for name in (f'{prefix}_flow', f'{prefix}_voxel_flow'):
            if name in frame:
                panels.append(self.draw_flow(frame.get(name).data, shape))
        if prefix == 'pred' and 'pred_frame' in frame:
            synth = _numpy(frame.pred_frame.data).transpose(1, 2, 0)
            panels.append(_fit(np.clip(np.rint(synth), 0, 255).astype(
                np.uint8), shape))
        return panels

    def draw_frame(self,
                   image: np.ndarray,
                   data_sample=None,
                   draw_gt: bool = True,
                   draw_pred: bool = True,
                   pred_score_thr: float = 0.3) -> np.ndarray:
        """The drawing of one frame: ground-truth panels, then prediction
        panels, side by side.

        Args:
            image (np.ndarray): The frame, RGB (H, W, 3) uint8.
            data_sample (DetDataSample | TrackDataSample, optional): The
                frame's sample (a one-frame ``TrackDataSample`` is
                accepted).
            draw_gt (bool): Draw the ``gt_*`` fields. Defaults to True.
            draw_pred (bool): Draw the ``pred_*`` fields. Defaults to True.
            pred_score_thr (float): Score threshold of predicted instances.

        Returns:
            np.ndarray: RGB (H, k * W, 3) uint8, k the number of panels
            (the frame itself when nothing is drawn).
        """
        image = np.ascontiguousarray(image[..., :3], dtype=np.uint8)
        frame = _single_frame(data_sample)
        panels = []
        if frame is not None and draw_gt:
            panels += self._panels(image, frame, 'gt', None)
        if frame is not None and draw_pred:
            panels += self._panels(image, frame, 'pred', pred_score_thr)
        return np.concatenate(panels, axis=1) if panels else image

    def add_datasample(self,
                       name: str,
                       image: np.ndarray,
                       data_sample=None,
                       draw_gt: bool = True,
                       draw_pred: bool = True,
                       show: bool = False,
                       wait_time: float = 0.,
                       out_file: Optional[str] = None,
                       pred_score_thr: float = 0.3,
                       step: int = 0) -> np.ndarray:
        """Draw a frame (:meth:`draw_frame`) and show, save or record it.

        Args:
            name (str): Image identifier (window title, backend key).
            image (np.ndarray): The frame, RGB (H, W, 3) uint8.
            data_sample (DetDataSample, optional): The frame's sample.
            draw_gt (bool): Draw the ground truth. Defaults to True.
            draw_pred (bool): Draw the predictions. Defaults to True.
            show (bool): Show it in a window. Defaults to False.
            wait_time (float): Seconds to show it (0: until a key).
            out_file (str, optional): Write it to this file (then the vis
                backends do not get it). Defaults to None.
            pred_score_thr (float): Score threshold of predicted instances.
            step (int): Global step for the vis backends.

        Returns:
            np.ndarray: The drawing, RGB (H, k * W, 3) uint8.
        """
        drawn = self.draw_frame(image, data_sample, draw_gt, draw_pred,
                                pred_score_thr)
        self.set_image(drawn)
        if show:
            self.show(drawn, win_name=name, wait_time=wait_time)
        if out_file is not None:
            mmcv.imwrite(drawn[..., ::-1], out_file)
        else:
            self.add_image(name, drawn, step)
        return drawn
