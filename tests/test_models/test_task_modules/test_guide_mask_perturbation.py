# Copyright (c) OpenMMLab. All rights reserved.
import pytest
import torch

from mmvidseg.models.task_modules import GuideMaskPerturbation


def _mask():
    m = torch.zeros(2, 1, 32, 40)
    m[0, 0, 8:20, 10:26] = 1  # the second mask is empty
    return m


def test_no_perturbation_is_identity():
    g = GuideMaskPerturbation(shift=0, scale=0, max_morph=0, drop_prob=0)
    assert torch.equal(g(_mask()), _mask())


def test_perturbation_changes_mask_keeps_empty_empty():
    g = GuideMaskPerturbation(shift=0.2, scale=0.2, max_morph=2,
                              drop_prob=1.0, drop_size=0.5)
    changed = 0
    for seed in range(5):
        out = g(_mask(), torch.Generator().manual_seed(seed))
        assert out.shape == (2, 1, 32, 40)
        assert set(out.unique().tolist()) <= {0.0, 1.0}
        assert out[1].sum() == 0
        assert out[0].sum() > 0
        changed += int(not torch.equal(out, _mask()))
    assert changed == 5
    # same generator seed, same corruption
    a = g(_mask(), torch.Generator().manual_seed(3))
    b = g(_mask(), torch.Generator().manual_seed(3))
    assert torch.equal(a, b)


def test_shift_only_moves_the_box():
    g = GuideMaskPerturbation(shift=0.3, scale=0, max_morph=0, drop_prob=0)
    out = g(_mask()[:1], torch.Generator().manual_seed(0))
    assert out.sum() == _mask()[0].sum()  # integer shifts keep the area
    assert not torch.equal(out, _mask()[:1])


def test_bad_arguments():
    with pytest.raises(ValueError):
        GuideMaskPerturbation(shift=-1)
    with pytest.raises(ValueError):
        GuideMaskPerturbation(drop_prob=2)
    with pytest.raises(ValueError, match='N, 1, H, W'):
        GuideMaskPerturbation()(torch.zeros(2, 32, 40))


def test_box_guides():
    m = _mask()
    m[0, 0, 8:12, 10:14] = 0  # an L shape: its box is 8:20, 10:26
    g = GuideMaskPerturbation(shift=0, scale=0, max_morph=2, drop_prob=1,
                              box_prob=1)
    out = g(m, torch.Generator().manual_seed(0))
    assert torch.equal(out, _mask())  # the filled box; empty stays empty
    # box_prob=0 draws nothing more: the other corruptions are unchanged
    a = GuideMaskPerturbation(max_morph=2, drop_prob=1, box_prob=0)(
        m, torch.Generator().manual_seed(1))
    b = GuideMaskPerturbation(max_morph=2, drop_prob=1)(
        m, torch.Generator().manual_seed(1))
    assert torch.equal(a, b) and not torch.equal(a, _mask())
    with pytest.raises(ValueError, match='box_prob'):
        GuideMaskPerturbation(box_prob=1.5)
