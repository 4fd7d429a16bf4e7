# Copyright (c) OpenMMLab. All rights reserved.
"""The per-video metrics give the same numbers with 1 and 2 processes
(real ``torch.distributed`` gloo processes started with ``subprocess``),
with either ``collect_device``."""
import json
import os
import os.path as osp
import subprocess
import sys

import pytest

from mmvidseg.testing.cli import free_port

HERE = osp.dirname(osp.abspath(__file__))

# Run by each rank (and once, alone, as the reference): build the same
# toy samples, process this rank's share of the videos frame by frame and
# print the metrics of rank 0 as JSON.
SCRIPT = r'''
import json, os, sys
sys.path[:0] = [{here!r}, {parent!r}]
import torch.distributed as dist
from conftest import make_track_samples
from test_track_metrics import toy, vis_samples
from test_vps_metric import make_metric, samples, toy_maps
from mmvidseg.evaluation.metrics import VPSMetric, YouTubeVISVideoMetric

rank, world = int(os.environ['RANK']), int(os.environ['WORLD_SIZE'])
if world > 1:
    dist.init_process_group('gloo', rank=rank, world_size=world)
vps = samples(toy_maps(seed=4, num_videos=5), make_track_samples)
vis = vis_samples(toy(seed=5, n=5), make_track_samples)
# both collect devices: pickles in a shared directory, all_gather_object
jobs = [(make_metric(VPSMetric, windows=(1, 2)), vps),
        (make_metric(VPSMetric, windows=(1, 2), collect_device='gpu'), vps),
        (YouTubeVISVideoMetric(num_classes=6), vis),
        (YouTubeVISVideoMetric(num_classes=6, collect_device='gpu'), vis)]
out = []
for metric, data in jobs:
    for sample in data[rank::world]:
        metric.process({{}}, [sample])
    out.append(metric.evaluate(len(data)))
if rank == 0:
    print('RESULT ' + json.dumps(out))
if world > 1:
    dist.destroy_process_group()
'''


def _run(tmp_path, world):
    script = tmp_path / 'rank.py'
    script.write_text(SCRIPT.format(here=HERE, parent=osp.dirname(HERE)))
    port = free_port()
    procs = []
    for rank in range(world):
        env = dict(os.environ, RANK=str(rank), WORLD_SIZE=str(world),
                   MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port),
                   OMP_NUM_THREADS='1')
        # cwd: collect_device='cpu' writes its pickles under ./.dist_test
        procs.append(subprocess.Popen([sys.executable, str(script)],
                                      env=env, cwd=str(tmp_path),
                                      stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True))
    outs = [p.communicate(timeout=300) for p in procs]
    for p, (_, err) in zip(procs, outs):
        assert p.returncode == 0, err[-2000:]
    line = [ln for ln in outs[0][0].splitlines() if ln.startswith('RESULT')]
    return json.loads(line[0][len('RESULT '):])


@pytest.mark.slow
def test_two_processes_equal_one(tmp_path):
    one = _run(tmp_path, 1)
    two = _run(tmp_path, 2)
    assert two == one
    assert one[0] == one[1] and one[2] == one[3]
    assert set(one[0]) >= {'VPQ', 'STQ'} and set(one[2]) >= {'AP', 'AR10'}
    assert 0 < one[0]['VPQ'] < 100 and 0 < one[2]['AP'] < 1
