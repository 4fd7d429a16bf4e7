# Copyright (c) OpenMMLab. All rights reserved.
"""tools/misc/make_readme_figures.py on tiny toy data: a ground-truth row
and a model-output row (random-weight checkpoint), or the ground truth
alone when no checkpoint is found; captions say which."""
import numpy as np
import pytest
from PIL import Image

from mmvidseg.testing import generate_toy_video
from mmvidseg.testing.inference import load_script, random_checkpoint
from mmvidseg.testing.toy_formats import (write_cityscapes_dvps, write_davis,
                                          write_imagenet_vid)

ROW = 16 + 128  # caption strip + panel


@pytest.mark.slow
def test_vos_figure_with_model_output(tmp_path, capsys):
    tool = load_script('tools/misc/make_readme_figures.py')
    video = generate_toy_video(5, num_frames=4, height=32, width=48)
    root = write_davis(str(tmp_path / 'davis'), {'val': [video]})
    ckpt = random_checkpoint(
        tool.METHODS['vs_reid']['config'], str(tmp_path / 'vos.pth'), seed=1)
    assert tool.main([
        '--methods', 'vs_reid', '--checkpoint', f'vs_reid={ckpt}',
        '--data-root', f'vs_reid={root}', '--out-dir',
        str(tmp_path / 'res'), '--num-frames', '3'
    ]) == 0
    image = Image.open(tmp_path / 'res' / 'vs_reid_toy.png')
    assert image.mode == 'P'
    # two rows of three 128-pixel-high panels (48x32 frames scaled by 4)
    assert image.size == (3 * 192, 2 * ROW)
    assert (tmp_path / 'res' / 'vs_reid_toy.png').stat().st_size < 200_000
    out = capsys.readouterr().out
    assert 'ground truth' in out and 'model output (vos.pth' in out


def test_ground_truth_only_without_checkpoint(tmp_path, capsys):
    tool = load_script('tools/misc/make_readme_figures.py')
    video = generate_toy_video(1000, num_frames=4, height=32, width=48)
    root = write_imagenet_vid(str(tmp_path / 'vid'), {'val': [video]})
    assert tool.main([
        '--methods', 'transvod', '--search-dirs',
        str(tmp_path / 'none'), '--data-root', f'transvod={root}', '--out-dir',
        str(tmp_path / 'res')
    ]) == 0
    image = np.array(
        Image.open(tmp_path / 'res' / 'transvod_toy.png').convert('RGB'))
    assert image.shape == (ROW, 4 * 192, 3)
    assert 'no checkpoint: no model output' in capsys.readouterr().out
    with pytest.raises(ValueError, match='expected METHOD=PATH'):
        tool.main(['--checkpoint', 'nomethod=x.pth'])
    with pytest.raises(FileNotFoundError, match='does not exist'):
        tool.main([
            '--methods', 'transvod', '--checkpoint',
            f'transvod={tmp_path / "none.pth"}'
        ])


def test_dvps_ground_truth_panoptic_and_depth_rows(tmp_path, capsys):
    """PolyphonicFormer: the panoptic | depth drawing of each frame is
    split into a panoptic row and a depth colour-map row."""
    tool = load_script('tools/misc/make_readme_figures.py')
    video = generate_toy_video(1000, num_frames=4, height=32, width=48)
    root = write_cityscapes_dvps(str(tmp_path / 'dvps'), {'val': [video]})
    assert tool.main([
        '--methods', 'polyphonicformer', '--search-dirs',
        str(tmp_path / 'none'), '--data-root', f'polyphonicformer={root}',
        '--out-dir', str(tmp_path / 'res')
    ]) == 0
    image = np.array(
        Image.open(tmp_path / 'res' / 'polyphonicformer_toy.png').convert(
            'RGB'))
    assert image.shape == (2 * ROW, 4 * 192, 3)
    out = capsys.readouterr().out
    assert 'ground truth (no checkpoint: no model output): panoptic' in out
    assert 'depth colour map' in out
    # the depth row is not the panoptic row
    assert not np.array_equal(image[:ROW], image[ROW:])
