# Copyright (c) OpenMMLab. All rights reserved.
import os.path as osp
import pickle

import numpy as np
import pytest
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


# ------------------------------------------- weights-only load path
class _Payload:
    """Unpickles as ``exec(code)``: writes a marker file."""

    def __init__(self, marker):
        self.code = f'open({str(marker)!r}, "w").write("pwned")'

    def __reduce__(self):
        return (exec, (self.code, ))


def test_every_mmengine_scheme_loads_weights_only():
    from mmengine.runner.checkpoint import CheckpointLoader

    from mmvidseg.utils import checkpoint
    loaders = {fn for _, fn in checkpoint.SAFE_LOADERS}
    for prefix, loader in CheckpointLoader._schemes.items():
        assert loader in loaders, (prefix, loader)
    # mmengine's log line names the backend from the function name
    assert CheckpointLoader._get_checkpoint_loader('a.pth').__name__ == \
        'load_from_local'


@pytest.mark.parametrize('zipped', [True, False])
def test_code_payload_refused_even_when_forced(tmp_path, monkeypatch,
                                               zipped):
    """Explicit weights_only=True: TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD cannot
    turn pickle execution back on, in the zip or the legacy format."""
    from mmengine.runner import load_checkpoint
    from mmengine.runner.checkpoint import _load_checkpoint

    from mmvidseg.utils.checkpoint import UnsafeCheckpointError
    marker = tmp_path / 'PAYLOAD_RAN'
    path = str(tmp_path / 'evil.pth')
    torch.save({'state_dict': {}, 'meta': _Payload(marker)}, path,
               _use_new_zipfile_serialization=zipped)
    monkeypatch.setenv('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD', '1')
    with pytest.raises(UnsafeCheckpointError,
                       match=f'{path}: refused to load: the checkpoint '
                       'pickles exec'):
        _load_checkpoint(path, map_location='cpu')
    with pytest.raises(pickle.UnpicklingError, match=path):
        load_checkpoint(torch.nn.Linear(1, 1), path, map_location='cpu')
    assert not marker.exists()
    # the payload is live: a plain unpickling runs it
    torch.load(path, weights_only=False)
    assert marker.exists()


def test_mmengine_checkpoint_still_loads_when_forced(tmp_path, monkeypatch):
    from mmengine.runner.checkpoint import _load_checkpoint
    path = tmp_path / 'ckpt.pth'
    torch.save(_mmengine_like_checkpoint(), path)
    monkeypatch.setenv('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD', '1')
    ckpt = _load_checkpoint(str(path), map_location='cpu')
    assert ckpt['meta']['seed'] == 7
    assert isinstance(ckpt['message_hub']['log_scalars']['train/loss'],
                      HistoryBuffer)


@pytest.mark.parametrize('cut', ['half', 'empty', 'junk'])
def test_truncated_checkpoint_names_the_file(tmp_path, cut):
    from mmengine.runner.checkpoint import _load_checkpoint

    from mmvidseg.utils.checkpoint import CorruptCheckpointError
    path = tmp_path / 'iter_2.pth'
    torch.save({'state_dict': {'w': torch.ones(64)}}, path)
    data = path.read_bytes()
    path.write_bytes({'half': data[:len(data) // 2], 'empty': b'',
                      'junk': b'not a checkpoint ' * 8}[cut])
    with pytest.raises(CorruptCheckpointError,
                       match=f'{path}: truncated or not a checkpoint'):
        _load_checkpoint(str(path), map_location='cpu')


def test_resume_check_offers_the_previous_checkpoint(tmp_path):
    from mmvidseg.utils.checkpoint import (CheckpointError,
                                           check_resume_checkpoint)
    for n in (10, 20, 30, 40):
        torch.save({'meta': {'iter': n}}, tmp_path / f'iter_{n}.pth')
    check_resume_checkpoint(str(tmp_path / 'iter_40.pth'))
    # iter_40 truncated, iter_30 empty: iter_20 is offered
    data = (tmp_path / 'iter_40.pth').read_bytes()
    (tmp_path / 'iter_40.pth').write_bytes(data[:len(data) // 2])
    (tmp_path / 'iter_30.pth').write_bytes(b'')
    last = tmp_path / 'iter_40.pth'
    with pytest.raises(CheckpointError) as info:
        check_resume_checkpoint(str(last), 'W/last_checkpoint')
    msg = str(info.value)
    assert msg.startswith(f'{last}: cannot resume from this checkpoint '
                          '(named by W/last_checkpoint): truncated')
    assert msg.endswith(f'resume from it with --resume '
                        f'{tmp_path / "iter_20.pth"}')
    with pytest.raises(CheckpointError, match='iter_5.pth: cannot resume .*'
                       'not found; no earlier complete checkpoint'):
        check_resume_checkpoint(str(tmp_path / 'iter_5.pth'))


def test_url_checkpoints_load_weights_only(tmp_path, monkeypatch):
    """mmengine loads URLs through ``load_state_dict_from_url``, whose
    default is ``weights_only=False``: ours downloads to the same cache and
    loads with ``weights_only=True`` (a ``file://`` URL stands in for
    http; the scheme only picks the loader)."""
    from mmvidseg.utils.checkpoint import UnsafeCheckpointError, load_from_http
    marker = tmp_path / 'PAYLOAD_RAN'
    torch.save({'state_dict': {}, 'meta': _Payload(marker)},
               tmp_path / 'evil.pth')
    torch.save({'state_dict': {'w': torch.ones(2)}}, tmp_path / 'ok.pth')
    cache = str(tmp_path / 'cache')
    url = f'file://{tmp_path}/ok.pth'
    ckpt = load_from_http(url, 'cpu', model_dir=cache, progress=False)
    assert torch.equal(ckpt['state_dict']['w'], torch.ones(2))
    assert osp.isfile(osp.join(cache, 'ok.pth'))
    url = f'file://{tmp_path}/evil.pth'
    with pytest.raises(UnsafeCheckpointError, match=f'{url} .cached as '):
        load_from_http(url, 'cpu', model_dir=cache, progress=False)
    assert not marker.exists()
