# Copyright (c) OpenMMLab. All rights reserved.
"""VideoFrameSample: every mode, short videos and the key-frame flag."""
import random

import pytest

from mmvidseg.datasets.transforms import VideoFrameSample


def _video(length):
    return dict(
        video_id=7,
        video_length=length,
        images=[dict(img_path=f'{t}.jpg', frame_id=t, img_id=100 + t)
                for t in range(length)])


def _run(sampler, length, key):
    video = _video(length)
    video['key_frame_id'] = key
    out = sampler.transform(video)
    frames = out['frame_id']
    flags = out['key_frame_flags']
    assert len(frames) == len(flags) == sampler.num_frames
    assert flags.count(True) == 1
    assert frames[flags.index(True)] == key
    assert frames == sorted(frames)  # temporal order
    # every per-frame key is a list of the sample's length
    assert out['img_path'] == [f'{t}.jpg' for t in frames]
    assert out['video_id'] == [7] * len(frames)
    assert out['video_length'] == [len(frames)] * len(frames)
    assert out['ori_video_length'] == [length] * len(frames)
    return frames, flags


def test_offsets_video_knet():
    sampler = VideoFrameSample(mode='offsets', offsets=[-2, -1, 1, 2])
    assert sampler.num_frames == 5
    frames, flags = _run(sampler, 10, 5)
    assert frames == [3, 4, 5, 6, 7]
    assert flags == [False, False, True, False, False]


def test_offsets_clamped_in_short_video():
    sampler = VideoFrameSample(mode='offsets', offsets=[-2, -1, 1, 2])
    frames, flags = _run(sampler, 3, 0)
    assert frames == [0, 0, 0, 1, 2]
    assert flags == [True, False, False, False, False]
    frames, flags = _run(sampler, 1, 0)  # one-frame video: all repeats
    assert frames == [0] * 5 and flags[0]


def test_consecutive_tubes():
    sampler = VideoFrameSample(num_frames=4, mode='consecutive')
    random.seed(0)
    starts = set()
    for _ in range(50):
        frames, _ = _run(sampler, 10, 5)
        assert frames == list(range(frames[0], frames[0] + 4))
        starts.add(frames[0])
    assert starts == {2, 3, 4, 5}  # the key can be anywhere in the tube
    frames, _ = _run(sampler, 10, 0)  # shifted to fit at the start
    assert frames == [0, 1, 2, 3]
    frames, _ = _run(sampler, 10, 9)  # ... and at the end
    assert frames == [6, 7, 8, 9]


def test_consecutive_short_video_repeats_last():
    sampler = VideoFrameSample(num_frames=4, mode='consecutive')
    frames, flags = _run(sampler, 2, 1)
    assert frames == [0, 1, 1, 1]
    assert flags == [False, True, False, False]


def test_random_in_range_transvod():
    sampler = VideoFrameSample(num_frames=3, mode='random',
                               frame_range=(-2, 2))
    random.seed(1)
    seen = set()
    for _ in range(100):
        frames, flags = _run(sampler, 20, 10)
        refs = [f for f, k in zip(frames, flags) if not k]
        assert len(set(refs)) == 2 and 10 not in refs
        assert all(8 <= f <= 12 for f in refs)
        seen.update(refs)
    assert seen == {8, 9, 11, 12}


def test_random_with_too_few_frames_repeats():
    sampler = VideoFrameSample(num_frames=4, mode='random',
                               frame_range=(-1, 1))
    random.seed(2)
    frames, flags = _run(sampler, 2, 0)  # only frame 1 is a candidate
    assert frames == [0, 1, 1, 1]
    frames, flags = _run(sampler, 1, 0)  # nothing but the key
    assert frames == [0, 0, 0, 0] and flags == [True, False, False, False]


def test_strided_whole_video():
    sampler = VideoFrameSample(num_frames=4, mode='strided')
    frames, flags = _run(sampler, 10, 4)
    assert frames == [0, 4, 6, 9]  # the key replaces the nearest grid frame
    frames, _ = _run(sampler, 10, 0)
    assert frames == [0, 3, 6, 9]
    frames, _ = _run(sampler, 3, 1)  # fewer frames than samples
    assert frames == [0, 1, 1, 2]
    assert _run(VideoFrameSample(num_frames=1, mode='strided'), 5, 3)[0] == [3]


def test_random_key_when_none_given():
    sampler = VideoFrameSample(num_frames=2, mode='consecutive')
    random.seed(3)
    out = sampler.transform(_video(6))
    assert out['key_frame_flags'].count(True) == 1


def test_invalid_arguments():
    with pytest.raises(ValueError, match='mode'):
        VideoFrameSample(mode='uniform')
    with pytest.raises(ValueError, match='offsets'):
        VideoFrameSample(mode='offsets')
    with pytest.raises(ValueError, match='num_frames'):
        VideoFrameSample(num_frames=0)
    with pytest.raises(ValueError, match='frame_range'):
        VideoFrameSample(mode='random', frame_range=(1, 3))
    with pytest.raises(ValueError, match='no frames'):
        VideoFrameSample().transform(dict(video_length=0, images=[],
                                          video_name='empty'))


def test_clip_level_sampling_through_dataset(toy_vspw_root):
    """Clip-level VIS sampling: a strided clip of the whole video."""
    from mmvidseg.datasets import VSPWDataset
    ds = VSPWDataset(
        data_root=toy_vspw_root,
        ann_file='val.txt',
        pipeline=[
            dict(type='VideoFrameSample', num_frames=5, mode='strided'),
            dict(type='TransformBroadcaster',
                 transforms=[dict(type='LoadImageFromFile')]),
            dict(type='PackVideoInputs'),
        ])
    sample = ds.prepare_data((0, 0))['data_samples']
    assert [f.frame_id for f in sample.video_data_samples] == [0, 2, 4, 7, 9]
    assert sample.key_frames_inds == [0]
    assert sample.ref_frames_inds == [1, 2, 3, 4]
