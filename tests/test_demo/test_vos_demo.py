# Copyright (c) OpenMMLab. All rights reserved.
"""demo/vos_demo.py on a tiny generated video."""
import importlib.util
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from PIL import Image

from mmvidseg.registry import MODELS
from mmvidseg.testing import generate_toy_video
from mmvidseg.testing.toy_formats._io import save_palette_png
from mmvidseg.testing.toy_formats.davis import DAVIS_PALETTE, davis_object_ids
from mmvidseg.utils import register_all_modules

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEMO = osp.join(ROOT, 'demo', 'vos_demo.py')
CFG = osp.join(ROOT, 'configs', 'vs_reid',
               'vs-reid_r18-w16_1xb2-1k_toy-davis.py')
T, H, W = 4, 32, 48


@MODELS.register_module(force=True)
class DemoFlowStub(torch.nn.Module):
    """Stands in for RAFT (not installed in tests): zero flow."""

    def forward(self, img1, img2, num_flow_updates=12):
        return [img1.new_zeros(img1.shape[0], 2, *img1.shape[-2:])]


def _load_demo():
    spec = importlib.util.spec_from_file_location('vos_demo', DEMO)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def inputs(tmp_path_factory):
    register_all_modules()
    root = tmp_path_factory.mktemp('vos_demo')
    video = generate_toy_video(3, num_frames=T, height=H, width=W)
    (root / 'frames').mkdir()
    for t in range(T):
        cv2.imwrite(
            str(root / 'frames' / f'{t:05d}.jpg'),
            video.images[t][..., ::-1])  # RGB -> BGR
    ids = davis_object_ids(video)
    lut = np.zeros(video.instance.max() + 1, np.uint8)
    for track, obj in ids.items():
        lut[track] = obj
    save_palette_png(
        str(root / 'mask.png'), lut[video.instance[0]], DAVIS_PALETTE)
    cfg = Config.fromfile(CFG)
    cfg.model.flow = dict(
        type='RAFTFlowEstimator', network=dict(type='DemoFlowStub'))
    cfg.dump(str(root / 'cfg.py'))
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    torch.save({'state_dict': model.state_dict()}, str(root / 'ckpt.pth'))
    return root, lut[video.instance[0]]


def test_demo_writes_pngs_and_video(inputs):
    root, first = inputs
    demo = _load_demo()
    args = [
        str(root / 'frames'),
        str(root / 'mask.png'),
        str(root / 'cfg.py'),
        str(root / 'ckpt.pth')
    ]
    assert demo.main(args + ['--out', str(root / 'pngs')]) == 0
    pngs = [
        np.array(Image.open(root / 'pngs' / f'{t:05d}.png')) for t in range(T)
    ]
    assert np.array_equal(pngs[0], first)  # the given first frame
    objects = set(np.unique(first).tolist())
    assert all(set(np.unique(p).tolist()) <= objects for p in pngs)
    assert demo.main(args + ['--out', str(root / 'out.avi')]) == 0
    cap = cv2.VideoCapture(str(root / 'out.avi'))
    count = 0
    while cap.read()[0]:
        count += 1
    assert count == T


def test_demo_bad_mask(inputs, tmp_path):
    root, first = inputs
    demo = _load_demo()
    save_palette_png(
        str(tmp_path / 'empty.png'), np.zeros_like(first), DAVIS_PALETTE)
    args = [
        str(root / 'frames'),
        str(tmp_path / 'empty.png'),
        str(root / 'cfg.py'),
        str(root / 'ckpt.pth'), '--out',
        str(tmp_path / 'o')
    ]
    with pytest.raises(ValueError, match='empty.png has no object'):
        demo.main(args)
    save_palette_png(
        str(tmp_path / 'small.png'), np.ones((8, 8), np.uint8), DAVIS_PALETTE)
    args[1] = str(tmp_path / 'small.png')
    with pytest.raises(ValueError, match='8x8 but the frames are 48x32'):
        demo.main(args)


def test_demo_precomputed_flow_config_uses_opencv_flow(inputs, tmp_path):
    """The toy config reads precomputed flow: the demo estimates it with
    OpenCV (Farneback) unless ``--flow`` names a folder of .flo files."""
    root, first = inputs
    demo = _load_demo()
    out = tmp_path / 'pngs'
    assert demo.main([
        str(root / 'frames'),
        str(root / 'mask.png'), CFG,
        str(root / 'ckpt.pth'), '--out',
        str(out), '--max-frames', '3'
    ]) == 0
    pngs = sorted(p.name for p in out.iterdir())
    assert pngs == ['00000.png', '00001.png', '00002.png']
    assert np.array_equal(np.array(Image.open(out / '00000.png')), first)
    with pytest.raises(FileNotFoundError, match='flow folder'):
        demo.main([
            str(root / 'frames'),
            str(root / 'mask.png'), CFG,
            str(root / 'ckpt.pth'), '--out',
            str(out), '--flow',
            str(tmp_path / 'no_flow')
        ])
