# Copyright (c) OpenMMLab. All rights reserved.
"""Annotation loaders and decoders, on hand-made files."""
import numpy as np
import pytest
from PIL import Image

from mmvidseg.datasets.transforms import (LoadDepthMap, LoadOpticalFlow,
                                          LoadPanopticMap, LoadVideoInstances,
                                          LoadVOSAnnotation, read_flo,
                                          read_label_png)
from mmvidseg.datasets.transforms.loading import (decode_cityscapes_dvps,
                                                  decode_kitti_step, rgb_to_id)
from mmvidseg.testing.toy_formats import id2rgb, write_flo


def _save(path, array, palette=None):
    img = Image.fromarray(array)
    if palette is not None:
        img.putpalette(palette)
    img.save(path)
    return str(path)


def test_read_label_png_keeps_stored_values(tmp_path):
    index = np.arange(12, dtype=np.uint8).reshape(3, 4)
    palette = np.random.default_rng(0).integers(0, 256, 768).tolist()
    p = _save(tmp_path / 'p.png', index, palette)
    assert read_label_png(p).tolist() == index.tolist()  # indices, not RGB
    deep = np.array([[0, 300, 65535]], np.uint16)
    assert read_label_png(_save(tmp_path / 'u16.png', deep)).tolist() == \
        deep.tolist()
    rgb = np.zeros((2, 2, 3), np.uint8)
    assert read_label_png(_save(tmp_path / 'rgb.png', rgb)).shape == (2, 2, 3)
    with pytest.raises(FileNotFoundError, match='nothing.png'):
        read_label_png(str(tmp_path / 'nothing.png'), what='mask')
    (tmp_path / 'text.png').write_text('not a png')
    with pytest.raises(ValueError, match='cannot be decoded'):
        read_label_png(str(tmp_path / 'text.png'))


def test_decoders():
    rgb = np.array([[[13, 1, 2], [255, 0, 0], [0, 0, 0]]], np.uint8)
    classes, instances, void = decode_kitti_step(rgb, 'k.png')
    assert classes.tolist() == [[13, 255, 0]]
    assert instances.tolist() == [[258, 0, 0]]
    assert void.tolist() == [[False, True, False]]
    raw = np.array([[11005, 32000, 0, 255000 // 1000]], np.int64)
    classes, instances, void = decode_cityscapes_dvps(raw, 'c.png')
    assert classes.tolist() == [[11, 32, 0, 0]]
    assert instances.tolist() == [[5, 0, 0, 255]]
    assert void.tolist() == [[False, True, False, False]]
    ids = np.array([[0, 1, 256, 70000]])
    assert rgb_to_id(id2rgb(ids)).tolist() == ids.tolist()


def test_load_panoptic_map_outputs(tmp_path):
    # KITTI-STEP encoding: class 1 stuff, class 2 things 3 and 300, void
    rgb = np.zeros((4, 5, 3), np.uint8)
    rgb[:, :] = (1, 0, 0)
    rgb[1:3, 1:3] = (2, 0, 3)
    rgb[3, 4] = (2, 1, 44)  # instance 1 * 256 + 44 = 300
    rgb[0, 0] = (255, 0, 0)
    path = _save(tmp_path / 'pan.png', rgb)
    load = LoadPanopticMap('kitti_step', num_classes=3, with_instances=True)
    out = load(dict(pan_map_path=path, ori_shape=(4, 5)))
    pan = out['gt_panoptic_map']
    assert pan.dtype == np.int32
    assert pan[0, 0] == 255000 and pan[0, 1] == 1000
    assert pan[1, 1] == 2003 and pan[3, 4] == 2300
    assert out['gt_seg_map'][0].tolist() == [255, 1, 1, 1, 1]
    assert out['gt_instances_ids'].tolist() == [2003, 2300]
    assert out['gt_bboxes_labels'].tolist() == [2, 2]
    assert out['gt_bboxes'].tolist() == [[1, 1, 3, 3], [4, 3, 5, 4]]
    assert out['gt_masks'].masks.shape == (2, 4, 5)
    assert out['gt_ignore_flags'].tolist() == [False, False]
    assert 'gt_seg_map' in out['seg_fields']
    # an image without things gives empty instance arrays
    rgb[...] = (1, 0, 0)
    out = load(dict(pan_map_path=_save(tmp_path / 'stuff.png', rgb)))
    assert out['gt_bboxes'].shape == (0, 4)
    assert len(out['gt_masks']) == 0


def test_load_panoptic_map_errors(tmp_path):
    with pytest.raises(ValueError, match='format'):
        LoadPanopticMap('coco')
    with pytest.raises(ValueError, match='ignore_index'):
        LoadPanopticMap('vipseg', num_classes=300)
    path = _save(tmp_path / 'cs.png', np.array([[3001, 3999]], np.uint16))
    out = LoadPanopticMap('cityscapes_dvps')(dict(pan_map_path=path))
    assert out['gt_panoptic_map'].tolist() == [[3001, 3999]]
    with pytest.raises(KeyError, match='pan_map_path'):
        LoadPanopticMap('vipseg')(dict(img_path='a.jpg'))
    # a thing instance id of 1000 does not fit class * 1000 + id
    rgb = np.array([[[2, 3, 232]]], np.uint8)  # 3 * 256 + 232 = 1000
    with pytest.raises(ValueError, match='instance id 1000'):
        LoadPanopticMap('kitti_step')(
            dict(pan_map_path=_save(tmp_path / 'big.png', rgb)))


def test_load_depth_map(tmp_path):
    raw = np.array([[0, 256, 1000]], np.uint16)
    path = _save(tmp_path / 'd.png', raw)
    out = LoadDepthMap()(dict(depth_map_path=path, ori_shape=(1, 3)))
    assert out['gt_depth_map'].dtype == np.float32
    assert out['gt_depth_map'].tolist() == [[0.0, 1.0, 1000 / 256]]
    with pytest.raises(ValueError, match='1x1'):
        LoadDepthMap()(dict(depth_map_path=path, ori_shape=(1, 1)))
    rgb = _save(tmp_path / 'rgb.png', np.zeros((1, 3, 3), np.uint8))
    with pytest.raises(ValueError, match='16-bit'):
        LoadDepthMap()(dict(depth_map_path=rgb))
    with pytest.raises(ValueError, match='scale'):
        LoadDepthMap(scale=0)


def test_read_flo_round_trip_and_errors(tmp_path):
    flow = np.random.default_rng(0).normal(size=(3, 5, 2)).astype(np.float32)
    path = str(tmp_path / 'f.flo')
    write_flo(path, flow)
    np.testing.assert_array_equal(read_flo(path), flow)
    out = LoadOpticalFlow()(dict(flow_path=path, ori_shape=(3, 5)))
    assert out['flow_valid'] and out['gt_flow_map'].shape == (3, 5, 2)
    out = LoadOpticalFlow()(dict(flow_path=None, ori_shape=(3, 5)))
    assert not out['flow_valid'] and not out['gt_flow_map'].any()
    with pytest.raises(ValueError, match='5x3') as e:
        LoadOpticalFlow()(dict(flow_path=path, ori_shape=(4, 5)))
    assert path in str(e.value)
    data = open(path, 'rb').read()
    with open(path, 'wb') as f:
        f.write(data[:12] + data[20:])
    with pytest.raises(ValueError, match='truncated'):
        read_flo(path)
    with open(path, 'wb') as f:
        f.write(data[:4] + np.array([0, 3], '<i4').tobytes())
    with pytest.raises(ValueError, match='size header'):
        read_flo(path)
    with pytest.raises(FileNotFoundError, match='missing.flo'):
        read_flo(str(tmp_path / 'missing.flo'))


def test_load_vos_annotation(tmp_path):
    ids = np.zeros((4, 4), np.uint8)
    ids[:2, :2] = 1
    ids[2:, 2:] = 3
    path = _save(tmp_path / 'a.png', ids, [0] * 768)
    out = LoadVOSAnnotation()(dict(seg_map_path=path, ori_shape=(4, 4)))
    assert out['gt_seg_map'].tolist() == ids.tolist()
    assert out['gt_instances_ids'].tolist() == [1, 3]
    assert out['gt_bboxes_labels'].tolist() == [0, 0]
    assert out['gt_bboxes'].tolist() == [[0, 0, 2, 2], [2, 2, 4, 4]]
    out = LoadVOSAnnotation(binary=True)(dict(seg_map_path=path,
                                              ori_shape=(4, 4)))
    assert out['gt_instances_ids'].tolist() == [1]
    with pytest.raises(ValueError, match='4x4') as e:
        LoadVOSAnnotation()(dict(seg_map_path=path, ori_shape=(5, 4),
                                 img_path='f.jpg'))
    assert 'f.jpg' in str(e.value)


def test_load_video_instances_checks_frame_size():
    results = dict(
        img_path='f.jpg', ann_file='ann.json', ori_shape=(32, 48), height=32,
        width=48, instances=[dict(bbox=[0, 0, 4, 4], bbox_label=0,
                                  instance_id=5, ignore_flag=0)])
    out = LoadVideoInstances()(dict(results))
    assert out['gt_bboxes'].tolist() == [[0, 0, 4, 4]]
    assert out['gt_instances_ids'].tolist() == [5]
    with pytest.raises(ValueError, match='ann.json declares 48x30'):
        LoadVideoInstances()(dict(results, height=30))
