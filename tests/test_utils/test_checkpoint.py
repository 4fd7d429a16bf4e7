# Copyright (c) OpenMMLab. All rights reserved.
import numpy as np
import torch
from mmengine.logging import HistoryBuffer, MessageHub

import mmvidseg  # noqa: F401  (registers the safe globals)
from mmvidseg.utils.checkpoint import checkpoint_safe_globals


def _mmengine_like_checkpoint():
    hub = MessageHub.get_instance('test_checkpoint_hub')
    hub.update_scalar('train/loss', 0.5)
    hub.update_scalar('train/loss', np.float64(0.25))
    hub.update_scalar('train/lr', 1e-3)
    hub.update_info('iter', 3)
    return dict(
        meta=dict(epoch=0, iter=3, seed=np.int64(7), dataset_meta=dict(
            classes=('a', 'b'))),
        state_dict={'w': torch.ones(2)},
        message_hub=hub.state_dict(),
        optimizer={'state': {}, 'param_groups': [{'lr': 1e-3}]})


def test_checkpoint_loads_with_weights_only(tmp_path):
    path = tmp_path / 'ckpt.pth'
    torch.save(_mmengine_like_checkpoint(), path)
    # nothing outside our allow-list, and in particular no builtins.getattr
    unsafe = torch.serialization.get_unsafe_globals_in_checkpoint(str(path))
    allowed = {f'{g.__module__}.{g.__qualname__}'
               for g in checkpoint_safe_globals()}
    assert 'builtins.getattr' not in unsafe
    assert set(unsafe) <= allowed, set(unsafe) - allowed
    ckpt = torch.load(path, weights_only=True)
    buf = ckpt['message_hub']['log_scalars']['train/loss']
    assert isinstance(buf, HistoryBuffer)
    np.testing.assert_allclose(buf.data[0], [0.5, 0.25])
    assert buf.mean() == 0.375
    assert ckpt['meta']['seed'] == 7


def test_history_buffer_round_trip_keeps_statistics(tmp_path):
    buf = HistoryBuffer([1.0, 2.0, 4.0], [1, 1, 2], max_length=10)
    torch.save({'b': buf}, tmp_path / 'b.pth')
    out = torch.load(tmp_path / 'b.pth', weights_only=True)['b']
    assert out.max_length == 10
    assert out.statistics('max') == 4.0
    assert out.current() == 4.0
    np.testing.assert_array_equal(out.data[1], [1, 1, 2])
