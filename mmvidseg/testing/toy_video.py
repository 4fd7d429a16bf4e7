# Copyright (c) OpenMMLab. All rights reserved.
"""Deterministic synthetic videos with exact video-perception ground truth.

Each video shows a scene of three *stuff* regions (sky, building, road) under a
panning camera, and a few moving *things* (cars, persons, balls) with
persistent track ids. Things enter and leave the frame, occlude each other by
depth, and move by pure translation, so the optical flow of every pixel is
known exactly. The same ground truth is written to every benchmark's on-disk
format by :mod:`mmvidseg.testing.toy_formats`.

``difficulty='hard'`` draws videos closer to real ones, with the same
classes, sizes and formats and still exact ground truth: things accelerate,
turn and bounce (each follows a per-frame path, so its flow is still one
translation per frame), the camera accelerates and shakes, lighting and
colours drift over time, textures are smooth random blobs instead of
stripes, the road edge and skyline are irregular and differ per video,
sizes and aspect ratios vary more, same-class things cross and occlude each
other, and **each instance's colour is drawn independently of its class**:
the class must be read from shape, size and motion. ``'easy'`` (the default)
gives exactly the videos of earlier releases. ``camouflage=True`` (either
difficulty) paints every thing with the colour and texture of the stuff
behind it, so that mainly motion tells objects from background;
``camouflage='colour'`` takes the stuff's colour only (each thing keeps its
own texture).

``thing_depth='ground'`` (either difficulty) ties every thing's depth to
the image, as a camera over a flat road sees it: a thing stands on the road
at the row of its lowest point, and its depth is the road's depth at that
row (the road's own ramp, 40 m at the horizon to 5 m at the bottom row), in
every frame, so a thing that moves down the image comes nearer; nearer
things occlude farther ones in each frame. The default ``'random'`` draws
one depth per thing in 4-25 m that nothing in the frames reveals (the
videos of earlier releases). Only the things' depths and their painting
order differ; every other value is the same.

Example:
    >>> from mmvidseg.testing import generate_toy_video
    >>> video = generate_toy_video(seed=0, num_frames=4, height=32, width=48)
    >>> video.images.shape, video.semantic.shape, video.flow.shape
    ((4, 32, 48, 3), (4, 32, 48), (3, 32, 48, 2))
"""
from dataclasses import dataclass, field, replace
from typing import List, Optional, Tuple, Union

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
#: Values of ``generate_toy_video(difficulty=...)``.
DIFFICULTIES = ('easy', 'hard')
#: Values of ``generate_toy_video(thing_depth=...)``.
THING_DEPTHS = ('random', 'ground')
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
        depth (float): Distance to the camera in metres (in frame 0 when
            ``depths`` is set).
        tint (Tuple[float, float, float]): Colour offset of this instance.
        path (Tuple[Tuple[float, float], ...], optional): (x, y) centre in
            every frame, for objects that do not move at constant velocity
            (hard videos); ``centre`` is then ``path[0]`` and ``velocity``
            the first step.
        colour (Tuple[float, float, float], optional): RGB base colour drawn
            independently of the class (hard videos); None uses the class
            colour plus ``tint``.
        blobs (Tuple[Tuple[float, ...], ...], optional): Smooth texture as a
            sum of sinusoids ``(kx, ky, phase, amplitude)`` in object
            coordinates (hard videos); None uses the class stripes.
        depths (Tuple[float, ...], optional): Depth in every frame
            (``thing_depth='ground'``); None keeps ``depth`` in all
            frames.
    """
    track_id: int
    label: int
    centre: Tuple[float, float]
    velocity: Tuple[float, float]
    size: Tuple[float, float]
    depth: float
    tint: Tuple[float, float, float]
    path: Optional[Tuple[Tuple[float, float], ...]] = None
    colour: Optional[Tuple[float, float, float]] = None
    blobs: Optional[Tuple[Tuple[float, ...], ...]] = None
    depths: Optional[Tuple[float, ...]] = None

    def depth_at(self, t: int) -> float:
        """Depth in metres in frame ``t``."""
        return self.depth if self.depths is None else self.depths[t]

    def position(self, t: int) -> Tuple[float, float]:
        """(x, y) centre in frame ``t``."""
        if self.path is not None:
            return self.path[t]
        return (self.centre[0] + self.velocity[0] * t,
                self.centre[1] + self.velocity[1] * t)

    def step(self, t: int) -> Tuple[float, float]:
        """Image motion (dx, dy) from frame ``t`` to ``t + 1``: the flow of
        every pixel of this object."""
        if self.path is not None:
            (x0, y0), (x1, y1) = self.path[t], self.path[t + 1]
            return (x1 - x0, y1 - y0)
        return self.velocity


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
        camera (np.ndarray, optional): (x, y) camera offset of every frame,
            float32, shape (T, 2): stuff at world point ``p`` is drawn at
            ``p - camera[t]``. Defaults to None.
    """
    name: str
    images: np.ndarray
    semantic: np.ndarray
    instance: np.ndarray
    depth: np.ndarray
    flow: np.ndarray
    objects: List[ToyObject] = field(default_factory=list)
    camera: Optional[np.ndarray] = None

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


def _hard_size(rng, label, height, width):
    """Half extents; wider, overlapping ranges and varied aspect ratios."""
    if label == CAR:
        return (rng.uniform(0.07, 0.2) * width,
                rng.uniform(0.05, 0.14) * height)
    if label == PERSON:
        return (rng.uniform(0.025, 0.07) * width,
                rng.uniform(0.1, 0.24) * height)
    r = rng.uniform(0.04, 0.12) * min(height, width)
    return (r * rng.uniform(0.9, 1.1), r)


def _hard_path(rng, label, start, num_frames, height, width):
    """Per-frame centres: cars accelerate or brake, persons turn back or
    change course, balls bounce under gravity."""
    scale = width / 96.0
    x, y = start
    direction = rng.choice([-1.0, 1.0])
    if label == CAR:
        vx, vy = direction * rng.uniform(1.0, 3.0) * scale, 0.0
        ax, ay = direction * rng.uniform(-0.12, 0.12) * scale, 0.0
    elif label == PERSON:
        vx = direction * rng.uniform(0.3, 1.2) * scale
        vy = rng.uniform(-0.3, 0.3) * scale
        ax = ay = 0.0
    else:
        vx = direction * rng.uniform(0.5, 2.5) * scale
        vy = rng.uniform(-2.0, 0.5) * scale
        ax, ay = 0.0, rng.uniform(0.3, 0.8) * scale
    turn = int(rng.integers(1, num_frames)) if num_frames > 1 and \
        label == PERSON and rng.random() < 0.7 else -1
    floor = max(y, 0.55 * height)
    path = []
    for t in range(num_frames):
        path.append((float(x), float(y)))
        if t == turn:
            vx, vy = -vx * rng.uniform(0.5, 1.5), rng.uniform(-0.4, 0.4)
        vx, vy = vx + ax, vy + ay
        x, y = x + vx, y + vy
        if label == BALL and y > floor:  # bounce, losing some energy
            y, vy = 2 * floor - y, -0.8 * vy
    return path


def _sample_hard_objects(rng, num_objects, num_frames, height, width):
    """Things of hard videos: colour independent of the class, blob
    textures, per-frame paths; some share the previous thing's class and
    cross it (at a different depth, so one occludes the other)."""
    objects = []
    for k in range(num_objects):
        crosses = bool(objects) and rng.random() < 0.4
        label = objects[-1].label if crosses else int(
            rng.choice([CAR, PERSON, BALL]))
        start = (rng.uniform(-0.15, 1.15) * width,
                 rng.uniform(0.45, 0.85) * height)
        path = _hard_path(rng, label, start, num_frames, height, width)
        if crosses:  # shift the path to meet the previous thing mid-video
            meet = int(rng.integers(0, num_frames))
            px, py = objects[-1].position(meet)
            dx = px - path[meet][0] + rng.uniform(-0.03, 0.03) * width
            dy = py - path[meet][1] + rng.uniform(-0.05, 0.05) * height
            path = [(x + dx, y + dy) for x, y in path]
        step = (path[1][0] - path[0][0],
                path[1][1] - path[0][1]) if num_frames > 1 else (0.0, 0.0)
        objects.append(
            ToyObject(
                track_id=k + 1,
                label=label,
                centre=path[0],
                velocity=(float(step[0]), float(step[1])),
                size=tuple(float(v) for v in _hard_size(
                    rng, label, height, width)),
                depth=float(rng.uniform(4.0, 25.0)),
                tint=(0.0, 0.0, 0.0),
                path=tuple(path),
                colour=tuple(float(c) for c in rng.uniform(30, 225, 3)),
                blobs=_blobs(rng, (3.0, 12.0), (4.0, 16.0))))
    return objects


@dataclass
class _Scene:
    """What a video's frames are rendered from (see :func:`_render`)."""
    height: int
    width: int
    layout: tuple
    objects: List[ToyObject]
    camera: List[Tuple[float, float]]  # (x, y) offset per frame
    camera_step: List[Tuple[float, float]]  # camera motion t -> t + 1
    hard: bool = False
    stuff_look: dict = field(default_factory=dict)  # hard: colour, blobs
    lighting: Optional[np.ndarray] = None  # hard: (T, 2, 3) gain, offset


def _blobs(rng, period_range, amp_range, num=3):
    """Random smooth texture: ``num`` sinusoids (kx, ky, phase, amplitude)."""
    out = []
    for _ in range(num):
        angle = rng.uniform(0, np.pi)
        k = 2 * np.pi / rng.uniform(*period_range)
        out.append((float(k * np.cos(angle)), float(k * np.sin(angle)),
                    float(rng.uniform(0, 2 * np.pi)),
                    float(rng.uniform(*amp_range))))
    return tuple(out)


def _blob_texture(blobs, colour, u, v):
    """(N, 3) colours at (N,) object/world coordinates ``u, v``."""
    value = np.zeros(u.shape, np.float32)
    for kx, ky, phase, amp in blobs:
        value += amp * np.sin(kx * u + ky * v + phase)
    return np.asarray(colour, np.float32)[None, :] + value[:, None]


def _hard_stuff_layout(rng, width):
    """Curved road edge and a skyline of tilted roofs, per video."""
    horizon = rng.uniform(0.45, 0.65)
    edge = tuple((float(rng.uniform(0.015, 0.06)),
                  float(2 * np.pi / (rng.uniform(0.4, 1.5) * width)),
                  float(rng.uniform(0, 2 * np.pi))) for _ in range(2))
    n_blocks = 10
    block_w = rng.uniform(0.08, 0.35, size=n_blocks) * width
    block_h = rng.uniform(0.05, 0.4, size=n_blocks)
    tilt = rng.uniform(-0.6, 0.6, size=n_blocks) / width
    return horizon, edge, np.cumsum(block_w), block_h, tilt


def _render_hard_stuff(layout, xw, yw, height):
    """Semantic ids and depth of the hard stuff layer at world points."""
    horizon, edge, block_edges, block_h, tilt = layout
    hy = horizon + sum(a * np.sin(k * xw + p) for a, k, p in edge)
    hy = hy * height
    xm = np.mod(xw, block_edges[-1])
    idx = np.clip(np.searchsorted(block_edges, xm), 0, len(block_h) - 1)
    left = np.where(idx > 0, block_edges[np.maximum(idx - 1, 0)], 0.0)
    roof = (horizon - block_h[idx] - tilt[idx] * (xm - left)) * height
    sem = np.full(yw.shape, SKY, dtype=np.uint8)
    sem[yw >= roof] = BUILDING
    sem[yw >= hy] = ROAD
    depth = np.zeros(yw.shape, dtype=np.float32)
    depth[sem == BUILDING] = 45.0
    road = sem == ROAD
    frac = (yw[road] - hy[road]) / np.maximum(height - hy[road], 1.0)
    depth[road] = 40.0 - 35.0 * np.clip(frac, 0, 1)
    return sem, depth


def _easy_scene(rng, num_frames, height, width, num_objects, camera_speed):
    layout = _stuff_layout(rng, width)
    if camera_speed is None:
        camera_speed = float(rng.uniform(-1.0, 1.0))
    objects = _sample_objects(rng, num_objects, num_frames, height, width)
    return _Scene(
        height, width, layout, objects,
        camera=[(camera_speed * t, 0.0) for t in range(num_frames)],
        camera_step=[(camera_speed, 0.0)] * num_frames)


def _hard_camera(rng, num_frames, width, camera_speed):
    """Accelerating pan plus mild shake: (T, 2) offsets, python floats."""
    scale = width / 96.0
    speed = camera_speed if camera_speed is not None else float(
        rng.uniform(-1.5, 1.5) * scale)
    acc = rng.uniform(-0.08, 0.08) * scale
    shake = rng.normal(0.0, 0.5 * scale, size=(num_frames, 2))
    return [(float(speed * t + 0.5 * acc * t * t + shake[t, 0]),
             float(shake[t, 1])) for t in range(num_frames)]


def _hard_scene(rng, num_frames, height, width, num_objects, camera_speed):
    layout = _hard_stuff_layout(rng, width)
    camera = _hard_camera(rng, num_frames, width, camera_speed)
    objects = _sample_hard_objects(rng, num_objects, num_frames, height,
                                   width)
    look = {
        label: (_BASE_COLOUR[label] + rng.uniform(-45, 45, size=3),
                _blobs(rng, (4.0, 30.0), (3.0, 14.0)))
        for label in (ROAD, SKY, BUILDING)
    }
    # per-channel gain drift and an offset drift over the video
    frac = np.arange(num_frames, dtype=np.float32) / max(num_frames - 1, 1)
    gain = 1.0 + frac[:, None] * rng.uniform(-0.3, 0.3, size=3)[None]
    offset = frac[:, None] * rng.uniform(-25, 25, size=3)[None]
    steps = [(camera[t + 1][0] - camera[t][0], camera[t + 1][1] -
              camera[t][1]) for t in range(num_frames - 1)] + [(0.0, 0.0)]
    return _Scene(
        height, width, layout, objects, camera, steps, hard=True,
        stuff_look=look,
        lighting=np.stack([gain, offset], axis=1).astype(np.float32))


def _render(scene, t, xs, ys):
    """Frame ``t``: RGB (float), semantic, instance, depth, flow (fx, fy)."""
    height, width = scene.height, scene.width
    cam_x, cam_y = scene.camera[t]
    xw = xs + cam_x  # world x of each pixel
    if scene.hard:
        yw = ys + cam_y
        sem, dep = _render_hard_stuff(scene.layout, xw, yw, height)
    else:
        yw = ys
        sem, dep = _render_stuff(scene.layout, xw, ys, height, width)
    rgb = np.empty((height, width, 3), np.float32)
    for label in (ROAD, SKY, BUILDING):
        m = sem == label
        if scene.hard:
            colour, blobs = scene.stuff_look[label]
            rgb[m] = _blob_texture(blobs, colour, xw[m], yw[m])
        else:
            rgb[m] = _texture(label, xw[m], yw[m])
    inst = np.zeros((height, width), np.int32)
    # stuff moves with the camera: image motion is minus the camera's
    step_x, step_y = scene.camera_step[t]
    fx = np.full((height, width), -step_x, np.float32)
    fy = np.full((height, width), -step_y if step_y else 0.0, np.float32)
    # Paint far objects first so that nearer ones occlude them.
    for obj in sorted(scene.objects, key=lambda o: -o.depth_at(t)):
        cx, cy = obj.position(t)
        m = _inside(obj, xs, ys, cx, cy)
        if not m.any():
            continue
        sem[m] = obj.label
        inst[m] = obj.track_id
        dep[m] = obj.depth_at(t)
        if obj.colour is None:
            rgb[m] = _texture(obj.label, xs[m] - cx, ys[m] - cy, obj.tint)
        else:
            rgb[m] = _blob_texture(obj.blobs, obj.colour, xs[m] - cx,
                                   ys[m] - cy)
        if obj.path is None or t + 1 < len(obj.path):
            fx[m], fy[m] = obj.step(t)
    if scene.lighting is not None:
        rgb = rgb * scene.lighting[t, 0] + scene.lighting[t, 1]
    return rgb, sem, inst, dep, (fx, fy)


def _stuff_label_at(scene, t, x, y):
    """Stuff class drawn at image point (x, y) of frame ``t`` (objects
    ignored)."""
    cam_x, cam_y = scene.camera[t]
    xw, yw = np.array([x + cam_x]), np.array([y + cam_y])
    if scene.hard:
        return int(
            _render_hard_stuff(scene.layout, xw, yw, scene.height)[0][0])
    return int(_render_stuff(scene.layout, xw, np.array([y]), scene.height,
                             scene.width)[0][0])


def _ground_depth(scene, t, obj):
    """Depth of ``obj`` in frame ``t`` when it stands on the road: the
    road's depth ramp (as in :func:`_render_stuff` and
    :func:`_render_hard_stuff`) at its lowest row, clipped to the ramp's
    ends (40 m at or above the horizon, 5 m at or below the bottom row)."""
    cx, cy = obj.position(t)
    cam_x, cam_y = scene.camera[t]
    bottom = cy + obj.size[1]
    if scene.hard:
        horizon, edge = scene.layout[:2]
        xw, yw = cx + cam_x, bottom + cam_y
        hy = (horizon + sum(a * np.sin(k * xw + p) for a, k, p in edge))
    else:
        hy, yw = scene.layout[0], bottom
    hy = hy * scene.height
    frac = (yw - hy) / max(scene.height - hy, 1.0)
    return float(40.0 - 35.0 * np.clip(frac, 0.0, 1.0))


def _ground_things(scene, num_frames):
    """Give every thing its road-contact depth in each frame (see
    :func:`_ground_depth`); no random numbers are drawn."""
    objects = []
    for obj in scene.objects:
        depths = tuple(_ground_depth(scene, t, obj) for t in range(num_frames))
        objects.append(replace(obj, depth=depths[0], depths=depths))
    scene.objects = objects


def _camouflage(scene, texture=True):
    """Give every thing the colour and (with ``texture``) the texture of
    the stuff under its first-frame centre: the class's base colour and
    stripes (easy videos, no tint) or the video's stuff colour and blobs
    (hard videos). Without ``texture`` a thing keeps its own stripes or
    blobs. Textures stay in object coordinates, so they move with the
    thing; no random numbers are drawn."""
    objects = []
    for obj in scene.objects:
        label = _stuff_label_at(scene, 0, *obj.position(0))
        if scene.hard:
            colour, blobs = scene.stuff_look[label]
            blobs = blobs if texture else obj.blobs
        else:  # _texture's stripes written as one sinusoid
            period, amp = _TEXTURE[label if texture else obj.label]
            colour = _BASE_COLOUR[label]
            blobs = ((2 * np.pi / period, np.pi / period, 0.0, amp), )
        objects.append(
            replace(obj, colour=tuple(float(c) for c in colour),
                    blobs=blobs))
    scene.objects = objects


def _check_args(num_frames, height, width, difficulty, camouflage,
                thing_depth):
    """Raise a ValueError naming the first bad argument of
    :func:`generate_toy_video`."""
    if num_frames < 1 or height < 8 or width < 8:
        raise ValueError('a toy video needs num_frames >= 1 and frames of '
                         f'at least 8x8, got T={num_frames}, {height}x{width}')
    if difficulty not in DIFFICULTIES:
        raise ValueError(f'difficulty must be one of {DIFFICULTIES}, got '
                         f'{difficulty!r}')
    if thing_depth not in THING_DEPTHS:
        raise ValueError(f'thing_depth must be one of {THING_DEPTHS}, got '
                         f'{thing_depth!r}')
    if camouflage not in (False, True, None, 'full', 'colour'):
        raise ValueError('camouflage must be a bool, "full" or "colour", '
                         f'got {camouflage!r}')


def generate_toy_video(seed: int,
                       num_frames: int = 8,
                       height: int = 64,
                       width: int = 96,
                       num_objects: int = 4,
                       camera_speed: float = None,
                       noise: float = 3.0,
                       name: str = None,
                       difficulty: str = 'easy',
                       camouflage: Union[bool, str] = False,
                       thing_depth: str = 'random') -> ToyVideo:
    """Generate one deterministic toy video.

    Args:
        seed (int): Random seed; the same seed gives the same video.
        num_frames (int): Number of frames T. Defaults to 8.
        height (int): Frame height H. Defaults to 64.
        width (int): Frame width W. Defaults to 96.
        num_objects (int): Number of things (tracks). Defaults to 4.
        camera_speed (float, optional): Horizontal pan in pixels per frame
            (the initial one for hard videos); random when None. Defaults
            to None.
        noise (float): Std of the per-pixel sensor noise added to the RGB
            frames. Defaults to 3.0.
        name (str, optional): Video name. Defaults to ``toy_{seed:04d}``.
        difficulty (str): ``'easy'`` (constant velocities, class colours,
            stripes: the videos of earlier releases, bit for bit) or
            ``'hard'`` (see the module docstring). Defaults to ``'easy'``.
        camouflage (bool | str): True (or ``'full'``): each thing takes
            the colour and texture of the stuff under its first-frame
            centre (road, building or sky of this video), so appearance
            alone barely separates it and its motion does. ``'colour'``:
            the stuff's colour only; the thing keeps its own texture. The
            ground truth is that of the same video without camouflage;
            only the frames differ. Defaults to False.
        thing_depth (str): ``'random'`` (one depth per thing in 4-25 m,
            independent of the frames: the videos of earlier releases) or
            ``'ground'`` (each frame, the road's depth at the thing's
            lowest row, see the module docstring). Defaults to
            ``'random'``.

    Returns:
        ToyVideo: Frames and ground truth.
    """
    _check_args(num_frames, height, width, difficulty, camouflage,
                thing_depth)
    rng = np.random.default_rng(seed)
    make_scene = _hard_scene if difficulty == 'hard' else _easy_scene
    scene = make_scene(rng, num_frames, height, width, num_objects,
                       camera_speed)
    if thing_depth == 'ground':
        _ground_things(scene, num_frames)
    if camouflage:
        _camouflage(scene, texture=camouflage != 'colour')
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    ys, xs = ys + 0.5, xs + 0.5  # pixel centres

    images = np.empty((num_frames, height, width, 3), np.uint8)
    semantic = np.empty((num_frames, height, width), np.uint8)
    instance = np.zeros((num_frames, height, width), np.int32)
    depth = np.empty((num_frames, height, width), np.float32)
    flow = np.zeros((max(num_frames - 1, 0), height, width, 2), np.float32)
    for t in range(num_frames):
        rgb, sem, inst, dep, (fx, fy) = _render(scene, t, xs, ys)
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
        objects=scene.objects,
        camera=np.asarray(scene.camera, np.float32))


def generate_toy_videos(num_videos: int,
                        seed: int = 0,
                        **kwargs) -> List[ToyVideo]:
    """Generate ``num_videos`` videos with seeds ``seed, seed + 1, ...``.

    Keyword arguments go to :func:`generate_toy_video`.
    """
    return [generate_toy_video(seed + i, **kwargs) for i in range(num_videos)]
