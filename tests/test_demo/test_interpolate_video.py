# Copyright (c) OpenMMLab. All rights reserved.
"""demo/interpolate_video.py on a tiny generated video."""
import importlib.util
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config

from mmvidseg.registry import MODELS
from mmvidseg.testing import generate_toy_video
from mmvidseg.utils import register_all_modules

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEMO = osp.join(ROOT, 'demo', 'interpolate_video.py')
CFG = osp.join(ROOT, 'configs', 'deep_voxel_flow',
               'dvf_unet-tiny-ms2_1xb8-1k_toy-triplets.py')


def _load_demo():
    spec = importlib.util.spec_from_file_location('interpolate_video', DEMO)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _read(path):
    cap = cv2.VideoCapture(path)
    fps = cap.get(cv2.CAP_PROP_FPS)
    frames = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(frame)
    cap.release()
    return frames, fps


@pytest.fixture(scope='module')
def averaging_checkpoint(tmp_path_factory):
    """The toy model with zeroed output convs: u = 0, so it predicts the
    average of the two frames, which the test can check."""
    register_all_modules()
    model = MODELS.build(Config.fromfile(CFG).model)
    model.init_weights()
    for conv in (model.backbone.fusion, *model.backbone.heads):
        torch.nn.init.zeros_(conv.weight)
        torch.nn.init.zeros_(conv.bias)
    path = str(tmp_path_factory.mktemp('ckpt') / 'dvf_avg.pth')
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, path)
    return path


def test_doubles_the_frame_rate(tmp_path, averaging_checkpoint, capsys):
    video = generate_toy_video(7, num_frames=6, height=36, width=52)
    src = str(tmp_path / 'in.avi')
    writer = cv2.VideoWriter(src, cv2.VideoWriter_fourcc(*'MJPG'), 10.0,
                             (52, 36))
    for img in video.images:
        writer.write(np.ascontiguousarray(img[..., ::-1]))
    writer.release()
    inputs, fps = _read(src)
    assert len(inputs) == 6 and fps == pytest.approx(10.0)

    out = str(tmp_path / 'out.avi')
    demo = _load_demo()
    assert demo.main([
        src, CFG, averaging_checkpoint, '--out', out, '--batch-size', '2'
    ]) == 0
    assert '6 frames at 10 fps' in capsys.readouterr().out
    frames, out_fps = _read(out)
    assert len(frames) == 2 * 6 - 1
    assert out_fps == pytest.approx(20.0)
    assert frames[0].shape == (36, 52, 3)
    # originals at even indices, averages at odd ones (MJPG is lossy)
    for k in range(5):
        np.testing.assert_allclose(
            frames[2 * k].astype(float), inputs[k].astype(float), atol=40)
        avg = (inputs[k].astype(float) + inputs[k + 1]) / 2
        assert np.abs(frames[2 * k + 1] - avg).mean() < 6


def test_errors(tmp_path, averaging_checkpoint):
    demo = _load_demo()
    with pytest.raises(FileNotFoundError, match='none.mp4 does not exist'):
        demo.main([
            str(tmp_path / 'none.mp4'), CFG, averaging_checkpoint, '--out',
            str(tmp_path / 'o.mp4')
        ])
    src = str(tmp_path / 'in.avi')
    writer = cv2.VideoWriter(src, cv2.VideoWriter_fourcc(*'MJPG'), 5.0,
                             (16, 16))
    writer.write(np.zeros((16, 16, 3), np.uint8))
    writer.release()
    with pytest.raises(FileNotFoundError, match='checkpoint'):
        demo.main([src, CFG, str(tmp_path / 'no.pth'), '--out',
                   str(tmp_path / 'o.avi')])
    extra = CFG.replace('dvf_unet', 'dvf-extra_unet')
    with pytest.raises(ValueError, match='interpolation'):
        demo.main([src, extra, averaging_checkpoint, '--out',
                   str(tmp_path / 'o.avi')])


class _Payload:
    """Unpickles as ``exec(code)``: writes a marker file."""

    def __init__(self, marker):
        self.code = f'open({str(marker)!r}, "w").write("pwned")'

    def __reduce__(self):
        return (exec, (self.code, ))


def test_refuses_a_checkpoint_carrying_code(tmp_path, monkeypatch):
    """A pickled payload is refused, naming the file, and never runs, even
    with TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1 (issue 17)."""
    from mmvidseg.utils.checkpoint import UnsafeCheckpointError
    marker = tmp_path / 'PAYLOAD_RAN'
    ckpt = str(tmp_path / 'evil.pth')
    torch.save({'state_dict': {}, 'meta': _Payload(marker)}, ckpt)
    monkeypatch.setenv('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD', '1')
    with pytest.raises(UnsafeCheckpointError, match=f'{ckpt}: refused'):
        _load_demo().build_model(CFG, ckpt, 'cpu')
    assert not marker.exists()
    torch.load(ckpt, weights_only=False)  # the payload is live
    assert marker.exists()
