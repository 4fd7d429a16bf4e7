# Copyright (c) OpenMMLab. All rights reserved.
"""ReIDEmbedHead: crops -> embeddings, triplet loss, training boxes."""
import pytest
import torch

from mmvidseg.models.heads.reid_embed_head import reid_training_boxes
from mmvidseg.registry import MODELS
from mmvidseg.utils import register_all_modules

register_all_modules()

EMBEDDER = dict(
    type='ReIDEmbedHead',
    backbone=dict(type='mmseg.ResNetV1c', depth=18, in_channels=3,
                  stem_channels=8, base_channels=8, out_indices=(3, ),
                  init_cfg=None),
    in_channels=64,
    fc_channels=16,
    out_channels=8)


def _crops(colours, n_per=3):
    """``n_per`` noisy crops of each plain colour; ids 0, 1, ..."""
    torch.manual_seed(0)
    crops = torch.cat([
        torch.tensor(c).view(1, 3, 1, 1).expand(n_per, 3, 16, 16) +
        0.1 * torch.randn(n_per, 3, 16, 16) for c in colours
    ])
    ids = torch.arange(len(colours)).repeat_interleave(n_per)
    return crops, ids


def test_forward_and_loss_learn_to_separate():
    torch.manual_seed(0)
    head = MODELS.build(EMBEDDER)
    head.init_weights()
    crops, ids = _crops([(1., -1., -1.), (-1., 1., -1.), (-1., -1., 1.)])
    assert head(crops).shape == (9, 8)
    optim = torch.optim.Adam(head.parameters(), lr=1e-2)
    gaps = []
    for _ in range(30):
        losses = head.loss(crops, ids)
        assert set(losses) == {'loss_reid', 'pos_gap_reid'}
        optim.zero_grad()
        losses['loss_reid'].backward()
        optim.step()
        gaps.append(float(losses['pos_gap_reid']))
    # after training, every crop is nearer its own colour than any other
    head.eval()
    with torch.no_grad():
        emb = torch.nn.functional.normalize(head(crops), dim=1)
    sim = emb @ emb.t()
    same = ids[:, None] == ids[None]
    assert sim[same].min() > sim[~same].max()
    assert gaps[-1] > gaps[0]


def test_single_identity_and_bad_input():
    head = MODELS.build(EMBEDDER)
    crops, ids = _crops([(1., 0., 0.)])
    losses = head.loss(crops, ids)
    assert float(losses['loss_reid']) == 0
    losses['loss_reid'].backward()  # still a graph
    with pytest.raises(ValueError, match='3 crops but 2 ids'):
        head.loss(crops, ids[:2])
    with pytest.raises(ValueError, match="mode='tensor'"):
        head(crops, mode='loss')


def test_identity_loss():
    head = MODELS.build(dict(
        EMBEDDER, num_classes=4,
        loss_cls=dict(type='mmdet.CrossEntropyLoss')))
    crops, ids = _crops([(1., 0., 0.), (0., 1., 0.)], n_per=2)
    losses = head.loss(crops, ids)
    assert set(losses) == {'loss_reid', 'loss_reid_cls', 'pos_gap_reid'}
    assert losses['loss_reid_cls'] > 0
    with pytest.raises(ValueError, match=r'in \[0, 4\)'):
        head.loss(crops, ids + 3)
    with pytest.raises(ValueError, match='both num_classes and loss_cls'):
        MODELS.build(dict(EMBEDDER, num_classes=4))


def test_reid_training_boxes():
    masks = torch.zeros(2, 20, 30, dtype=torch.bool)
    masks[0, 2:12, 4:24] = True  # box (4, 2, 24, 12)
    masks[1, 15:17, 0:3] = True  # box (0, 15, 3, 17)
    tight = reid_training_boxes(masks, jitter=0, truncate_prob=0)
    assert tight.tolist() == [[4., 2., 24., 12.], [0., 15., 3., 17.]]
    gen = torch.Generator().manual_seed(0)
    for _ in range(20):
        boxes = reid_training_boxes(
            masks, jitter=0, truncate_prob=1, min_keep=0.3, generator=gen)
        w, h = boxes[0, 2] - boxes[0, 0], boxes[0, 3] - boxes[0, 1]
        # one side cut to 30-100 % of its length, inside the tight box
        assert (boxes[0, :2] >= tight[0, :2]).all()
        assert (boxes[0, 2:] <= tight[0, 2:]).all()
        assert (w >= 0.3 * 20 - 1e-4 and h == 10) or (
            h >= 0.3 * 10 - 1e-4 and w == 20)
        assert ((boxes[:, 2:] - boxes[:, :2]) >= 1).all()
    jittered = reid_training_boxes(masks, jitter=0.1, truncate_prob=0,
                                   generator=gen)
    assert (jittered - tight).abs()[0].max() <= 0.1 * 20 + 1e-4
