# Copyright (c) OpenMMLab. All rights reserved.
import torch.distributed as dist

from mmvidseg.utils import teardown_distributed


def test_teardown_destroys_an_initialised_group(tmp_path):
    teardown_distributed()  # no group: nothing to do
    assert not dist.is_initialized()
    dist.init_process_group(
        'gloo', init_method=f'file://{tmp_path / "store"}', rank=0,
        world_size=1)
    assert dist.is_initialized()
    teardown_distributed()
    assert not dist.is_initialized()
