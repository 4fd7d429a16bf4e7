# Copyright (c) OpenMMLab. All rights reserved.
"""Deterministic synthetic videos with exact video-perception ground truth.

Each video shows a scene of three *stuff* regions (sky, building, road) under a
panning camera, and a few moving *things* (cars, persons, balls) with
persistent track ids. Things enter and leave the frame, occlude each other by
depth, and move by pure translation, so the optical flow of every pixel is
known exactly. The same ground truth is written to every benchmark's on-disk
format by :mod:`mmvidseg.testing.toy_formats`.

Example:
    >>> from mmvidseg.testing import generate_toy_video
    >>> video = generate_toy_video(seed=0, num_frames=4, height=32, width=48)
    >>> video.images.shape, video.semantic.shape, video.flow.shape
    ((4, 32, 48, 3), (4, 32, 48), (3, 32, 48, 2))
"""
from dataclasses import dataclass, field
from typing import List, Tuple

import numpy as np

#: Class names; ids are indices. The first three are stuff, the rest things.
TOY_CLASSES = ('road', 'sky', 'building', 'car', 'person', 'ball')
TOY_STUFF_CLASSES = ('road', 'sky', 'building')
TOY_THING_CLASSES = ('car', 'person', 'ball')
TOY_PALETTE = [(128, 64, 128), (70, 130, 180), (70, 70, 70), (0, 0, 142),
               (220, 20, 60), (250, 170, 30)]
#: Label of pixels with no class (never produced by the generator itself,
#: but reserved by every writer).
TOY_IGNORE = 255

ROAD, SKY, BUILDING, CAR, PERSON, BALL = range(6)
_BASE_COLOUR = np.array([(110, 100, 115), (95, 160, 225), (150, 105, 70),
                         (210, 40, 40), (60, 190, 70), (235, 200, 40)],
                        dtype=np.float32)
# (stripe period in px, stripe amplitude) per class: texture in object/world
# coordinates so that it moves exactly with the optical flow.
_TEXTURE = [(7.0, 12.0), (23.0, 6.0), (5.0, 18.0), (6.0, 20.0), (4.0, 14.0),
            (3.0, 16.0)]


@dataclass
class ToyObject:
    """One moving thing of a toy video.

    Attributes:
        track_id (int): Id >= 1, unique within its video.
        label (int): Class id in :data:`TOY_CLASSES` (a thing class).
        centre (Tuple[float, float]): (x, y) position at frame 0 in pixels.
        velocity (Tuple[float, float]): (dx, dy) pixels per frame.
        size (Tuple[float, float]): Half extents (rx, ry) in pixels.
        depth (float): Distance to the camera in metres.
        tint (Tuple[float, float, float]): Colour offset of this instance.
    """
    track_id: int
    label: int
    centre: Tuple[float, float]
    velocity: Tuple[float, float]
    size: Tuple[float, float]
    depth: float
    tint: Tuple[float, float, float]


@dataclass
class ToyVideo:
    """A generated video and its per-pixel ground truth.

    Attributes:
        name (str): Video name, e.g. ``'toy_0003'``.
        images (np.ndarray): RGB frames, uint8, shape (T, H, W, 3).
        semantic (np.ndarray): Class ids, uint8, shape (T, H, W).
        instance (np.ndarray): Track ids, int32, shape (T, H, W); 0 on
            stuff pixels.
        depth (np.ndarray): Metres, float32, shape (T, H, W); 0 where there
            is no depth (the sky), as in LiDAR-derived benchmarks.
        flow (np.ndarray): Forward optical flow from frame t to t + 1,
            (dx, dy) in pixels, float32, shape (T - 1, H, W, 2).
        objects (List[ToyObject]): The things, each with its track id.
    """
    name: str
    images: np.ndarray
    semantic: np.ndarray
    instance: np.ndarray
    depth: np.ndarray
    flow: np.ndarray
    objects: List[ToyObject] = field(default_factory=list)

    @property
    def num_frames(self) -> int:
        return self.images.shape[0]

    def track_label(self, track_id: int) -> int:
        """Class id of a track."""
        for obj in self.objects:
            if obj.track_id == track_id:
                return obj.label
        raise KeyError(f'{self.name} has no track {track_id}')

    def visible_tracks(self, t: int) -> List[int]:
        """Sorted track ids visible in frame ``t``."""
        ids = np.unique(self.instance[t])
        return [int(i) for i in ids if i > 0]

    def box(self, t: int, track_id: int) -> Tuple[float, float, float, float]:
        """Tight (x1, y1, x2, y2) box of a track's visible pixels.

        x2/y2 are exclusive pixel edges, as in COCO's ``[x, y, w, h]``.
        """
        ys, xs = np.nonzero(self.instance[t] == track_id)
        if len(xs) == 0:
            raise KeyError(f'track {track_id} is not visible in frame {t} '
                           f'of {self.name}')
        return (float(xs.min()), float(ys.min()), float(xs.max() + 1),
                float(ys.max() + 1))


def _stuff_layout(rng, width):
    """Random horizon and skyline, as functions of world x."""
    horizon = rng.uniform(0.5, 0.62)
    n_blocks = 8
    block_w = rng.uniform(0.15, 0.3, size=n_blocks) * width
    block_h = rng.uniform(0.1, 0.35, size=n_blocks)
    return horizon, np.cumsum(block_w), block_h


def _render_stuff(layout, xs_world, ys, height, width):
    """Semantic ids and depth of the stuff layer at world coordinates."""
    horizon, block_edges, block_h = layout
    hy = horizon * height
    idx = np.searchsorted(block_edges, np.mod(xs_world, block_edges[-1]))
    idx = np.clip(idx, 0, len(block_h) - 1)
    roof = (horizon - block_h[idx]) * height
    sem = np.full(ys.shape, SKY, dtype=np.uint8)
    sem[ys >= roof] = BUILDING
    sem[ys >= hy] = ROAD
    depth = np.zeros(ys.shape, dtype=np.float32)
    depth[sem == BUILDING] = 45.0
    road = sem == ROAD
    # road depth falls from 40 m at the horizon to 5 m at the bottom row.
    frac = (ys[road] - hy) / max(height - hy, 1.0)
    depth[road] = 40.0 - 35.0 * np.clip(frac, 0, 1)
    return sem, depth


def _texture(label, u, v, tint=(0.0, 0.0, 0.0)):
    period, amp = _TEXTURE[label]
    stripes = amp * np.sin(2 * np.pi * (u + 0.5 * v) / period)
    colour = _BASE_COLOUR[label] + np.asarray(tint, dtype=np.float32)
    return colour[None, :] + stripes[:, None]


def _inside(obj, xs, ys, cx, cy):
    rx, ry = obj.size
    dx, dy = (xs - cx) / rx, (ys - cy) / ry
    if obj.label == CAR:  # rounded rectangle
        return (np.abs(dx)**4 + np.abs(dy)**4) <= 1.0
    return dx * dx + dy * dy <= 1.0  # person: tall ellipse, ball: circle


def _sample_objects(rng, num_objects, num_frames, height, width):
    objects = []
    for k in range(num_objects):
        label = int(rng.choice([CAR, PERSON, BALL]))
        if label == CAR:
            size = (rng.uniform(0.1, 0.16) * width,
                    rng.uniform(0.08, 0.12) * height)
        elif label == PERSON:
            size = (rng.uniform(0.04, 0.06) * width,
                    rng.uniform(0.14, 0.2) * height)
        else:
            r = rng.uniform(0.06, 0.1) * min(height, width)
            size = (r, r)
        speed = rng.uniform(0.5, 2.5) * width / 96.0
        direction = rng.choice([-1.0, 1.0])
        # Start so that some objects enter and some leave during the clip.
        x0 = rng.uniform(-0.15, 1.15) * width
        y0 = rng.uniform(0.45, 0.85) * height
        vel = (direction * speed, rng.uniform(-0.15, 0.15) * speed)
        tint = tuple(rng.uniform(-25, 25, size=3).tolist())
        objects.append(
            ToyObject(
                track_id=k + 1,
                label=label,
                centre=(float(x0), float(y0)),
                velocity=(float(vel[0]), float(vel[1])),
                size=(float(size[0]), float(size[1])),
                depth=float(rng.uniform(4.0, 25.0)),
                tint=tint))
    return objects


def generate_toy_video(seed: int,
                       num_frames: int = 8,
                       height: int = 64,
                       width: int = 96,
                       num_objects: int = 4,
                       camera_speed: float = None,
                       noise: float = 3.0,
                       name: str = None) -> ToyVideo:
    """Generate one deterministic toy video.

    Args:
        seed (int): Random seed; the same seed gives the same video.
        num_frames (int): Number of frames T. Defaults to 8.
        height (int): Frame height H. Defaults to 64.
        width (int): Frame width W. Defaults to 96.
        num_objects (int): Number of things (tracks). Defaults to 4.
        camera_speed (float, optional): Horizontal pan in pixels per frame;
            random in [-1, 1] when None. Defaults to None.
        noise (float): Std of the per-pixel sensor noise added to the RGB
            frames. Defaults to 3.0.
        name (str, optional): Video name. Defaults to ``toy_{seed:04d}``.

    Returns:
        ToyVideo: Frames and ground truth.
    """
    if num_frames < 1 or height < 8 or width < 8:
        raise ValueError('a toy video needs num_frames >= 1 and frames of '
                         f'at least 8x8, got T={num_frames}, {height}x{width}')
    rng = np.random.default_rng(seed)
    layout = _stuff_layout(rng, width)
    if camera_speed is None:
        camera_speed = float(rng.uniform(-1.0, 1.0))
    objects = _sample_objects(rng, num_objects, num_frames, height, width)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    ys, xs = ys + 0.5, xs + 0.5  # pixel centres

    images = np.empty((num_frames, height, width, 3), np.uint8)
    semantic = np.empty((num_frames, height, width), np.uint8)
    instance = np.zeros((num_frames, height, width), np.int32)
    depth = np.empty((num_frames, height, width), np.float32)
    flow = np.zeros((max(num_frames - 1, 0), height, width, 2), np.float32)
    # Paint far objects first so that nearer ones occlude them.
    order = sorted(objects, key=lambda o: -o.depth)
    for t in range(num_frames):
        pan = camera_speed * t
        xw = xs + pan  # world x of each pixel
        sem, dep = _render_stuff(layout, xw, ys, height, width)
        rgb = np.empty((height, width, 3), np.float32)
        for label in (ROAD, SKY, BUILDING):
            m = sem == label
            rgb[m] = _texture(label, xw[m], ys[m])
        inst = np.zeros((height, width), np.int32)
        # stuff moves with the camera: image motion is -camera_speed
        fx = np.full((height, width), -camera_speed, np.float32)
        fy = np.zeros((height, width), np.float32)
        for obj in order:
            cx = obj.centre[0] + obj.velocity[0] * t
            cy = obj.centre[1] + obj.velocity[1] * t
            m = _inside(obj, xs, ys, cx, cy)
            if not m.any():
                continue
            sem[m] = obj.label
            inst[m] = obj.track_id
            dep[m] = obj.depth
            rgb[m] = _texture(obj.label, xs[m] - cx, ys[m] - cy, obj.tint)
            fx[m], fy[m] = obj.velocity
        frame_rng = np.random.default_rng((seed, t))
        rgb += frame_rng.normal(0.0, noise, size=rgb.shape)
        images[t] = np.clip(np.rint(rgb), 0, 255).astype(np.uint8)
        semantic[t], instance[t], depth[t] = sem, inst, dep
        if t < num_frames - 1:
            flow[t, ..., 0], flow[t, ..., 1] = fx, fy
    return ToyVideo(
        name=name or f'toy_{seed:04d}',
        images=images,
        semantic=semantic,
        instance=instance,
        depth=depth,
        flow=flow,
        objects=objects)


def generate_toy_videos(num_videos: int,
                        seed: int = 0,
                        **kwargs) -> List[ToyVideo]:
    """Generate ``num_videos`` videos with seeds ``seed, seed + 1, ...``.

    Keyword arguments go to :func:`generate_toy_video`.
    """
    return [generate_toy_video(seed + i, **kwargs) for i in range(num_videos)]
