# Copyright (c) OpenMMLab. All rights reserved.
"""VS-ReID re-identification: candidates, matching, re-starts."""
import json

import pytest
import torch

from mmvidseg.registry import MODELS
from mmvidseg.utils import register_all_modules

register_all_modules()
T, H, W = 8, 32, 48
RED, GREEN, BLUE = (1., 0., 0.), (0., 1., 0.), (0., 0., 1.)


@MODELS.register_module(force=True)
class MeanColourEmbedder(torch.nn.Module):
    """A ReID stand-in: the mean colour of a crop."""

    def forward(self, crops, mode='tensor'):
        assert mode == 'tensor'
        return crops.mean((2, 3))


def _box(t):
    """Object 1's box in frame t: 6x6, one pixel right per frame."""
    return [4 + t, 4, 10 + t, 10]


def _video():
    frames = torch.zeros(T, 3, H, W)
    labels = torch.zeros(T, H, W, dtype=torch.long)
    for t in range(T):
        x1, y1, x2, y2 = _box(t)
        frames[t, :, y1:y2, x1:x2] = torch.tensor(RED)[:, None, None]
        frames[t, :, 20:28, 30:40] = torch.tensor(GREEN)[:, None, None]
        labels[t, 20:28, 30:40] = 2
        if t < 2:  # propagation lost object 1 after frame 1
            labels[t, y1:y2, x1:x2] = 1
    flows = torch.zeros(T - 1, 2, H, W)
    for t in range(T - 1):
        x1, y1, x2, y2 = _box(t)
        flows[t, 0, y1:y2, x1:x2] = 1
    return dict(frames=frames, flows=flows,
                motion=torch.cat([flows, flows[-1:]]), num_objects=2,
                name='seq'), labels


def _model(tmp_path, boxes, **kwargs):
    path = tmp_path / 'proposals.json'
    path.write_text(json.dumps({'seq': boxes}))
    cfg = dict(type='VOSReIDTracker', proposal_file=str(path),
               embedder=dict(type='MeanColourEmbedder'))
    cfg.update(kwargs)
    tracker = MODELS.build(cfg)
    model = MODELS.build(dict(
        type='VSReID',
        backbone=dict(type='mmseg.ResNetV1c', depth=18, stem_channels=8,
                      base_channels=8, out_indices=(3, )),
        head=dict(type='MaskPropagationHead', in_channels=64, channels=8),
        test_cfg=dict(patch_size=(16, 16), flip=False)))
    # a network that copies its guide: object logit 8 (guide - 0.5)
    model.segment = lambda img, flow, guide: torch.cat(
        [torch.zeros_like(guide), 8 * (guide - 0.5)], 1)
    return tracker, model


def _candidates(extra=()):
    """Object 1 detected again from frame 5 on, plus ``extra`` boxes."""
    boxes = {str(t): [list(map(float, _box(t))) + [0.9]]
             for t in range(5, T)}
    for t, box in extra:
        boxes.setdefault(str(t), []).append(box)
    return boxes


def test_lost_object_is_restarted(tmp_path):
    video, labels = _video()
    distractor = [36., 2., 42., 8., 0.9]  # blue, below reid_th
    tracker, model = _model(tmp_path, _candidates([(5, distractor)]))
    video['frames'][5, :, 2:8, 36:42] = torch.tensor(BLUE)[:, None, None]
    restarts = tracker.refine(model, video, [None] * T, labels)
    assert restarts == [(5, 1)]
    for t in range(5, T):
        x1, y1, x2, y2 = _box(t)
        assert (labels[t, y1:y2, x1:x2] == 1).all()
        assert (labels[t] == 1).sum() == 36
        assert (labels[t] == 2).sum() == 80  # object 2 untouched
    # backward to the frame after the last sighting (frame 1)
    assert all((labels[t] == 1).any() for t in range(2, 5))
    # forward only
    video, labels = _video()
    tracker, model = _model(tmp_path, _candidates(), backward=False)
    assert tracker.refine(model, video, [None] * T, labels) == [(5, 1)]
    assert not (labels[2:5] == 1).any() and (labels[5:] == 1).any()


def test_shrunk_object_counts_as_lost(tmp_path):
    video, labels = _video()
    labels[2:, 0, 0] = 1  # a one-pixel leftover of object 1
    tracker, model = _model(tmp_path, _candidates())
    assert tracker.refine(model, video, [None] * T, labels.clone()) == []
    tracker, model = _model(tmp_path, _candidates(), lost_area_ratio=0.5)
    assert tracker.refine(model, video, [None] * T, labels) == [(5, 1)]
    assert (labels[5:] == 1).sum((1, 2)).tolist() == [36] * (T - 5)
    assert labels[5:, 0, 0].eq(0).all()  # the leftover is replaced


def test_thresholds_block_restarts(tmp_path):
    video, labels = _video()
    # nothing similar enough
    tracker, model = _model(tmp_path, _candidates(), reid_th=1.01)
    assert tracker.refine(model, video, [None] * T, labels.clone()) == []
    # a red box on object 2 overlaps a tracked object: not a candidate
    on_two = {str(t): [[30., 20., 40., 28., 1.]] for t in range(2, T)}
    video['frames'][2:, :, 20:28, 30:40] = torch.tensor(RED)[:, None, None]
    tracker, model = _model(tmp_path, on_two)
    assert tracker.refine(model, video, [None] * T, labels.clone()) == []
    # low-scored candidates are dropped
    tracker, model = _model(tmp_path, _candidates(), det_score_thr=0.95)
    assert tracker.refine(model, video, [None] * T, labels.clone()) == []


def test_config_errors(tmp_path):
    with pytest.raises(ValueError, match='exactly one'):
        MODELS.build(dict(type='VOSReIDTracker'))
    video, labels = _video()
    tracker, model = _model(tmp_path, {})
    tracker.proposal_file = str(tmp_path / 'missing.json')
    with pytest.raises(FileNotFoundError, match='missing.json'):
        tracker.refine(model, video, [None] * T, labels)
    tracker, model = _model(tmp_path, {})
    video['name'] = 'other'
    with pytest.raises(KeyError, match='no sequence other'):
        tracker.refine(model, video, [None] * T, labels)


@MODELS.register_module(force=True)
class BoxStubDetector(torch.nn.Module):
    """An mmdet-style detector stand-in: ``predict`` gives fixed boxes."""

    def predict(self, inputs, data_samples):
        from mmengine.structures import InstanceData
        assert inputs.shape == (1, 3, H, W)
        sample = data_samples[0]
        sample.pred_instances = InstanceData(
            bboxes=torch.tensor([[9., 4., 15., 10.], [0., 0., 4., 4.]]),
            scores=torch.tensor([0.9, 0.1]),
            labels=torch.zeros(2, dtype=torch.long))
        return data_samples


def test_detector_candidates(tmp_path):
    from mmdet.structures import DetDataSample
    video, _ = _video()
    tracker = MODELS.build(dict(
        type='VOSReIDTracker', detector=dict(type='BoxStubDetector')))
    samples = [DetDataSample(metainfo=dict(frame_id=t)) for t in range(T)]
    boxes = tracker.candidates(video, samples, 5)
    assert boxes.tolist() == [[9., 4., 15., 10.]]  # the 0.1 box is dropped


def test_lost_objects_share_candidates(tmp_path):
    """Frames are visited in time order and the objects lost in a frame
    share its candidates: one box is never given to two objects."""
    video, labels = _video()
    labels[5:][labels[5:] == 2] = 0  # object 2 lost from frame 5 too
    boxes = {str(t): [list(map(float, _box(t))) + [0.9],
                      [30., 20., 40., 28., 0.9]] for t in range(5, T)}
    tracker, model = _model(tmp_path, boxes, backward=False)
    assert tracker.refine(model, video, [None] * T, labels) == [(5, 1),
                                                                (5, 2)]
    for t in range(5, T):
        x1, y1, x2, y2 = _box(t)
        assert (labels[t, y1:y2, x1:x2] == 1).all()
        assert (labels[t, 20:28, 30:40] == 2).all()
    # two lost red objects, one red box: only one of them takes it
    video, labels = _video()
    video['frames'][:, :, 20:28, 30:40] = torch.tensor(RED)[:, None, None]
    labels[5:][labels[5:] == 2] = 0
    tracker, model = _model(tmp_path, _candidates(), backward=False)
    restarts = tracker.refine(model, video, [None] * T, labels)
    assert [t for t, _ in restarts] == [5]
    assert labels[5].unique().tolist() == [0, restarts[0][1]]


def test_confirmation_rejects_a_one_frame_match(tmp_path):
    video, labels = _video()
    # the object is detected in frame 5 only (a one-frame look-alike)
    one = {'5': [list(map(float, _box(5))) + [0.9]]}
    tracker, model = _model(tmp_path, one, backward=False)
    assert tracker.refine(model, video, [None] * T, labels.clone()) == [
        (5, 1)]
    tracker, model = _model(tmp_path, one, backward=False, confirm=True)
    assert tracker.refine(model, video, [None] * T, labels.clone()) == []
    # detected in frames 5.. : confirmed by frame 6
    tracker, model = _model(tmp_path, _candidates(), backward=False,
                            confirm=True)
    assert tracker.refine(model, video, [None] * T, labels.clone()) == [
        (5, 1)]
    # a next-frame match that does not overlap the box does not confirm
    far = {'5': [list(map(float, _box(5))) + [0.9]],
           '6': [[40., 24., 46., 30., 0.9]]}
    video['frames'][6, :, 24:30, 40:46] = torch.tensor(RED)[:, None, None]
    tracker, model = _model(tmp_path, far, backward=False, confirm=True)
    assert tracker.refine(model, video, [None] * T, labels.clone()) == []


def test_last_tracked_box_is_a_template(tmp_path):
    video, labels = _video()
    # object 1 turns purple after the first frame: the first-frame
    # template (red) is below reid_th, the frame-1 one (purple) is not
    video['frames'][1:, :, :, :30] = torch.where(
        video['frames'][1:, :1, :, :30] > 0,
        torch.tensor([1., 0., 1.])[:, None, None],
        video['frames'][1:, :, :, :30])
    tracker, model = _model(tmp_path, _candidates(), backward=False,
                            reid_th=0.9)
    assert tracker.refine(model, video, [None] * T, labels.clone()) == []
    tracker, model = _model(tmp_path, _candidates(), backward=False,
                            reid_th=0.9, last_template=True)
    assert tracker.refine(model, video, [None] * T, labels) == [(5, 1)]
    assert (labels[5:] == 1).sum((1, 2)).tolist() == [36] * (T - 5)


def test_joint_restart_wins_back_taken_pixels(tmp_path):
    """Object 2 took object 1's pixels while 1 was lost (frames 5..): a
    re-start of object 1 alone cannot take them back; a joint re-start
    segments frame 5 again (object 1 from its box, object 2 from frame 4)
    and propagates both."""
    video, labels = _video()
    for t in range(5, T):
        x1, y1, x2, y2 = _box(t)
        labels[t, y1:y2, x1:x2] = 2
    tracker, model = _model(tmp_path, _candidates(), backward=False)
    alone = labels.clone()
    assert tracker.refine(model, video, [None] * T, alone) == []
    assert not (alone[2:] == 1).any()
    tracker, model = _model(tmp_path, _candidates(), backward=False,
                            joint_restart=True)
    assert tracker.refine(model, video, [None] * T, labels) == [(5, 1)]
    for t in range(5, T):
        x1, y1, x2, y2 = _box(t)
        assert (labels[t, y1:y2, x1:x2] == 1).all()
        assert (labels[t] == 1).sum() == 36
        assert (labels[t] == 2).sum() == 80
        assert (labels[t, 20:28, 30:40] == 2).all()
    assert (labels[:5] == _video()[1][:5]).all()  # earlier frames kept
    # two objects re-started in one frame keep both their box guides
    video, labels = _video()
    labels[5:][labels[5:] == 2] = 0
    boxes = {str(t): [list(map(float, _box(t))) + [0.9],
                      [30., 20., 40., 28., 0.9]] for t in range(5, T)}
    tracker, model = _model(tmp_path, boxes, backward=False,
                            joint_restart=True)
    assert sorted(tracker.refine(model, video, [None] * T, labels)) == [
        (5, 1), (5, 2)]
    assert (labels[5:] == 1).sum((1, 2)).tolist() == [36] * (T - 5)
    assert (labels[5:] == 2).sum((1, 2)).tolist() == [80] * (T - 5)


def test_propagate_guides_must_be_propagated_objects(tmp_path):
    video, labels = _video()
    _, model = _model(tmp_path, _candidates())
    with pytest.raises(ValueError, match='object 2'):
        model.propagate(video, 4, 5, labels, objects=[1],
                        guides={2: torch.ones(H, W)})


def test_joint_restart_must_not_take_another_mask(tmp_path):
    """A look-alike of lost object 1 on tracked object 2: a joint re-start
    that would take object 2's mask is undone (``joint_keep_ratio``)."""
    video, labels = _video()
    video['frames'][5:, :, 20:28, 30:40] = torch.tensor(RED)[:, None, None]
    boxes = {str(t): [[30., 20., 40., 28., 0.9]] for t in range(5, T)}
    kwargs = dict(backward=False, bbox_occ_th=1.0, joint_restart=True)
    tracker, model = _model(tmp_path, boxes, **kwargs)
    before = labels.clone()
    assert tracker.refine(model, video, [None] * T, labels) == []
    assert (labels == before).all()
    tracker, model = _model(tmp_path, boxes, joint_keep_ratio=0., **kwargs)
    assert tracker.refine(model, video, [None] * T, labels) == [(5, 1)]
    assert not (labels[5:] == 2).any()  # ties go to the first object


def test_clear_gap_removes_remnants_before_a_restart(tmp_path):
    """Remnants of object 1 (below the lost area) in the frames where it
    was hidden are removed once it is re-started (``clear_gap``)."""
    video, labels = _video()
    labels[2:, 0, 0] = 1  # a one-pixel leftover of object 1
    kwargs = dict(backward=False, lost_area_ratio=0.5)
    tracker, model = _model(tmp_path, _candidates(), **kwargs)
    kept = labels.clone()
    assert tracker.refine(model, video, [None] * T, kept) == [(5, 1)]
    assert (kept[2:5, 0, 0] == 1).all()
    tracker, model = _model(tmp_path, _candidates(), clear_gap=True,
                            **kwargs)
    assert tracker.refine(model, video, [None] * T, labels) == [(5, 1)]
    assert not (labels[2:5] == 1).any()
    assert (labels[:2] == kept[:2]).all() and (labels[5:] == kept[5:]).all()
    with pytest.raises(ValueError, match='clear_gap=True needs backward'):
        _model(tmp_path, _candidates(), clear_gap=True, backward=True)


@pytest.mark.parametrize('joint', [False, True])
def test_restart_iters_segment_the_restart_frame_again(tmp_path, joint):
    """``restart_iters`` segments the re-identification frame again with
    the re-started mask as its guide (the copying network's fixed point:
    the same result, one more segmentation per iteration)."""
    results, calls = [], []
    for iters in (0, 2):
        video, labels = _video()
        tracker, model = _model(tmp_path, _candidates(), backward=False,
                                joint_restart=joint, restart_iters=iters)
        segment = model.segment
        count = [0]

        def counted(img, flow, guide, segment=segment, count=count):
            count[0] += 1
            return segment(img, flow, guide)

        model.segment = counted
        assert tracker.refine(model, video, [None] * T, labels) == [(5, 1)]
        results.append(labels)
        calls.append(count[0])
    assert (results[0] == results[1]).all()
    assert calls[1] - calls[0] == 2
    with pytest.raises(ValueError, match='restart_iters'):
        _model(tmp_path, {}, restart_iters=-1)


def test_occ_margin_lets_back_an_object_a_neighbour_covers(tmp_path):
    """``occ_margin``: a candidate overlapping a tracked object's box stays
    a candidate of a lost object when it looks more like the lost object
    than like the object it overlaps; the neighbour itself does not."""
    def video_with(colour, box):
        video, labels = _video()
        x1, y1, x2, y2 = box
        for t in range(5, T):
            video['frames'][t, :, y1:y2, x1:x2] = torch.tensor(
                colour)[:, None, None]
        boxes = {str(t): [list(map(float, box)) + [0.9]] for t in range(5, T)}
        return video, labels, boxes

    # object 1 (red) is back over most of object 2's box (IoU 0.55), whose
    # pixels propagation still gives to object 2
    returning = (28, 18, 38, 28)
    for margin, want in [(None, []), (0.0, [(5, 1)]), (1.5, [])]:
        video, labels, boxes = video_with(RED, returning)
        tracker, model = _model(tmp_path, boxes, backward=False,
                                occ_margin=margin)
        assert tracker.refine(model, video, [None] * T, labels) == want
        if want:  # into the pixels no other object holds
            assert (labels[5:] == 2).sum((1, 2)).tolist() == [80] * (T - 5)
            assert (labels[5:, 18:28, 28:38] == 1).sum() == 36 * (T - 5)
    # a green box around the green neighbour (IoU 0.67), similar enough to
    # pass reid_th, is not taken for object 1: it looks more like object 2
    for margin, want in [(0.0, []), (-3.0, [(5, 1)])]:  # -3: blocks nothing
        video, labels, boxes = video_with(GREEN, (29, 19, 41, 29))
        tracker, model = _model(tmp_path, boxes, backward=False,
                                reid_th=-0.5, occ_margin=margin)
        assert tracker.refine(model, video, [None] * T, labels) == want


def test_verify_th_removes_masks_that_do_not_look_like_the_object(tmp_path):
    """``verify_th``: a tracked mask whose box does not look like its object
    (propagation painted red object 1 onto a blue occluder in frames 2-4)
    is removed and the object counts as lost there; masks that look right,
    and boxes thinner than ``min_size``, are kept."""
    def video_on_occluder(rows=6):
        video, labels = _video()
        video['frames'][2:5, :, 12:18, 20:26] = torch.tensor(
            BLUE)[:, None, None]
        labels[2:5, 12:12 + rows, 20:26] = 1
        return video, labels

    video, labels = video_on_occluder()
    tracker, model = _model(tmp_path, _candidates(), backward=False)
    assert tracker.refine(model, video, [None] * T, labels) == [(5, 1)]
    assert (labels[2:5, 12:18, 20:26] == 1).all()
    video, labels = video_on_occluder()
    tracker, model = _model(tmp_path, _candidates(), backward=False,
                            verify_th=0.5)
    assert tracker.refine(model, video, [None] * T, labels) == [(5, 1)]
    assert not (labels[2:5, 12:18, 20:26] == 1).any()
    assert (labels == 2).sum((1, 2)).tolist() == [80] * T
    for t in range(5, T):  # the re-started red object stays
        x1, y1, x2, y2 = _box(t)
        assert (labels[t, y1:y2, x1:x2] == 1).all()
    # a mask one pixel high is too thin to judge: kept
    video, labels = video_on_occluder(rows=1)
    tracker, model = _model(tmp_path, _candidates(), backward=False,
                            verify_th=0.5)
    assert tracker.refine(model, video, [None] * T, labels) == [(5, 1)]
    assert (labels[2:5, 12, 20:26] == 1).all()


def test_templates_from_the_reference_frame(tmp_path):
    """An object entering at frame 2 (``ref_frames``) takes its template
    from frame 2 and is not searched for before it: a red box in frame 1
    (object 1 is not there yet) re-starts nothing; the loss after frame 3
    is re-identified in frame 5 and propagated back to frame 4."""
    video, labels = _video()
    video['frames'][:2, :, :, :20] = 0  # object 1 enters at frame 2
    labels[:] = torch.where(labels == 2, labels, 0)
    for t in (2, 3):  # tracked in frames 2, 3; lost from frame 4
        x1, y1, x2, y2 = _box(t)
        labels[t, y1:y2, x1:x2] = 1
    video['frames'][1, :, 24:30, 4:10] = torch.tensor(RED)[:, None, None]
    boxes = _candidates([(1, [4., 24., 10., 30., 0.9])])
    # frame-0 references: object 1 has no first-frame mask, no template
    tracker, model = _model(tmp_path, boxes)
    assert tracker.refine(model, video, [None] * T, labels.clone()) == []
    tracker, model = _model(tmp_path, boxes)
    video['ref_frames'] = [2, 0]
    assert tracker.refine(model, video, [None] * T, labels) == [(5, 1)]
    assert not (labels[:2] == 1).any()
    for t in range(4, T):
        x1, y1, x2, y2 = _box(t)
        assert (labels[t, y1:y2, x1:x2] == 1).all()
    assert (labels == 2).sum((1, 2)).tolist() == [80] * T
