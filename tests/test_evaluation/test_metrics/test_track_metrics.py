# Copyright (c) OpenMMLab. All rights reserved.
"""YouTube-VIS, ImageNet VID and DAVIS runner metrics on data samples."""
import numpy as np
import pytest
import torch
from pycocotools import mask as mask_utils

from mmvidseg.evaluation.functional import (DAVISAccumulator, VIDAccumulator,
                                            coco_bbox_ap, ytvis_evaluate)
from mmvidseg.evaluation.metrics import (DAVISMetric, ImageNetVIDMetric,
                                         YouTubeVISVideoMetric)
from mmvidseg.testing import generate_toy_videos


def toy(seed=0, n=3):
    return generate_toy_videos(n, seed=seed, num_frames=5, height=24,
                               width=32)


def tracks(video, t):
    ids = video.visible_tracks(t)
    masks = np.stack([video.instance[t] == i for i in ids]) if ids else \
        np.zeros((0, ) + video.instance.shape[1:], bool)
    labels = np.array([video.track_label(i) for i in ids], np.int64)
    return np.array(ids, np.int64), masks, labels


def shifted(masks, t):
    return np.roll(masks, 1 + t % 2, axis=2)


def vis_samples(videos, track_samples):
    frames_per_video = []
    for v in videos:
        frames = []
        for t in range(v.num_frames):
            ids, masks, labels = tracks(v, t)
            scores = np.linspace(0.9, 0.5, len(ids))
            frames.append({
                'gt_instances': dict(
                    masks=torch.from_numpy(masks),
                    labels=torch.from_numpy(labels),
                    instances_ids=torch.from_numpy(ids)),
                'pred_track_instances': dict(
                    masks=torch.from_numpy(shifted(masks, t)),
                    labels=torch.from_numpy(labels),
                    scores=torch.from_numpy(scores),
                    instances_id=torch.from_numpy(ids + 100)),
            })
        frames_per_video.append(frames)
    return track_samples(frames_per_video)


def vis_json(videos):
    """The same data as YouTube-VIS GT and results JSON."""
    gt = dict(videos=[], annotations=[],
              categories=[dict(id=c) for c in range(6)])
    results = []
    for vid, v in enumerate(videos):
        T, H, W = v.instance.shape
        gt['videos'].append(dict(id=vid, height=H, width=W, length=T))
        all_ids = sorted({i for t in range(T) for i in v.visible_tracks(t)})
        first = {}
        for t in range(T):
            for i in v.visible_tracks(t):
                first.setdefault(i, t)
        for i in sorted(all_ids, key=lambda i: (first[i], i)):
            segs, areas, psegs, scores = [], [], [], []
            for t in range(T):
                ids, masks, _ = tracks(v, t)
                if i not in ids:
                    segs.append(None)
                    areas.append(None)
                    psegs.append(None)
                    continue
                k = list(ids).index(i)
                m = masks[k]
                enc = mask_utils.encode(np.asfortranarray(m[..., None]
                                                          .astype(np.uint8)))
                segs.append(enc[0])
                areas.append(int(m.sum()))
                pm = shifted(masks, t)[k]
                psegs.append(mask_utils.encode(np.asfortranarray(
                    pm[..., None].astype(np.uint8)))[0])
                scores.append(np.linspace(0.9, 0.5, len(ids))[k])
            gt['annotations'].append(dict(
                id=len(gt['annotations']) + 1, video_id=vid,
                category_id=v.track_label(i), iscrowd=0, segmentations=segs,
                areas=areas))
            results.append(dict(video_id=vid, category_id=v.track_label(i),
                                score=float(np.mean(scores)),
                                segmentations=psegs))
    return gt, results


def test_ytvis_metric_matches_offline_and_splits(track_samples):
    videos = toy()
    metric = YouTubeVISVideoMetric(num_classes=6)
    metric.process({}, vis_samples(videos, track_samples))
    res = metric.evaluate(3)
    gt, results = vis_json(videos)
    expected = ytvis_evaluate(gt, results)
    assert set(res) == {'AP', 'AP50', 'AP75', 'APs', 'APm', 'APl', 'AR1',
                        'AR10'}
    for k, v in res.items():
        assert v == pytest.approx(expected[k], abs=1e-12)
    assert 0 < res['AP'] < 1
    # two ranks
    a, b = YouTubeVISVideoMetric(6), YouTubeVISVideoMetric(6)
    samples = vis_samples(videos, track_samples)
    a.process({}, samples[:1])
    b.process({}, samples[1:])
    merged = YouTubeVISVideoMetric(6)
    merged.results = b.results + a.results
    assert merged.evaluate(3) == res


def test_vid_metric(track_samples):
    videos = toy(seed=1)
    rng = np.random.default_rng(0)
    frames_per_video, expected = [], VIDAccumulator()
    flat = []
    for v in videos:
        frames = []
        for t in range(v.num_frames):
            ids = v.visible_tracks(t)
            gb = np.array([v.box(t, i) for i in ids],
                          np.float32).reshape(-1, 4)
            gl = np.array([v.track_label(i) for i in ids], np.int64)
            pb = (gb + rng.normal(0, 1.5, gb.shape)).astype(np.float32)
            ps = rng.random(len(gb)).astype(np.float32)
            frames.append({
                'gt_instances': dict(bboxes=torch.from_numpy(gb),
                                     labels=torch.from_numpy(gl),
                                     instances_ids=torch.tensor(ids)),
                'pred_instances': dict(bboxes=torch.from_numpy(pb),
                                       labels=torch.from_numpy(gl),
                                       scores=torch.from_numpy(ps)),
            })
            expected.add_frame(pb, gl + 1, ps, gb, gl + 1)
            flat.append((pb, gl + 1, ps, gb, gl + 1))
        frames_per_video.append(frames)
    metric = ImageNetVIDMetric()
    samples = track_samples(frames_per_video)
    metric.process({}, samples[::-1])  # arrival order does not matter
    res = metric.evaluate(3)
    assert res['mAP50'] == expected.compute()['mAP50']
    images, anns, dets = [], [], []
    for img, (pb, pl, ps, gb, gl) in enumerate(flat, 1):
        images.append(dict(id=img))
        for b, lab in zip(gb.tolist(), gl.tolist()):
            anns.append(dict(id=len(anns) + 1, image_id=img, category_id=lab,
                             bbox=[b[0], b[1], b[2] - b[0], b[3] - b[1]],
                             area=(b[2] - b[0]) * (b[3] - b[1]), iscrowd=0))
        for b, lab, s in zip(pb.tolist(), pl.tolist(), ps.tolist()):
            dets.append(dict(image_id=img, category_id=lab, score=s,
                             bbox=[b[0], b[1], b[2] - b[0], b[3] - b[1]]))
    coco = coco_bbox_ap(dict(images=images, annotations=anns,
                             categories=[dict(id=c) for c in (4, 5, 6)]),
                        dets)
    assert res['cocoAP'] == pytest.approx(coco['cocoAP'], abs=1e-12)
    assert 0 < res['mAP50'] <= 1 and 0 < res['cocoAP'] < 1
    # every ground-truth box is in one motion range
    assert {'mAP50_fast', 'mAP50_medium', 'mAP50_slow'} <= set(res)


def test_davis_metric_index_maps_and_instances(track_samples):
    videos = toy(seed=2)
    as_maps, as_instances, expected = [], [], DAVISAccumulator()
    for v in videos:
        first = v.visible_tracks(0)
        lut = np.zeros(v.instance.max() + 1, np.int64)
        lut[first] = np.arange(1, len(first) + 1)
        gt = lut[v.instance]
        pred = np.roll(gt, 1, axis=1)
        expected.add_video(zip(gt, pred))
        as_maps.append([{
            'gt_sem_seg': dict(data=torch.from_numpy(gt[t][None])),
            'pred_sem_seg': dict(data=torch.from_numpy(pred[t][None]))
        } for t in range(len(gt))])
        frames = []
        for t in range(len(gt)):
            fr = {}
            for name, arr, key in (('gt_instances', gt[t], 'instances_ids'),
                                   ('pred_track_instances', pred[t],
                                    'instances_id')):
                ids = [i for i in range(1, len(first) + 1)
                       if (arr == i).any()]
                masks = np.stack([arr == i for i in ids]) if ids else \
                    np.zeros((0, ) + arr.shape, bool)
                fr[name] = {'masks': torch.from_numpy(masks),
                            key: torch.tensor(ids, dtype=torch.long)}
            frames.append(fr)
        as_instances.append(frames)
    exp = expected.compute()
    for frames in (as_maps, as_instances):
        metric = DAVISMetric()
        metric.process({}, track_samples(frames))
        res = metric.evaluate(3)
        assert res == exp
    assert 0 < exp['J&F'] < 1
