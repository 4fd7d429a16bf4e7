# Copyright (c) OpenMMLab. All rights reserved.
import importlib.util
import json
import os.path as osp

import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
_spec = importlib.util.spec_from_file_location(
    '_knet_plot_curves',
    osp.join(ROOT, 'tools', 'analysis_tools', 'plot_curves.py'))
plot_curves = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(plot_curves)


def _write_run(tmp_path):
    vis = tmp_path / 'run' / '20260101_000000' / 'vis_data'
    vis.mkdir(parents=True)
    lines = [
        dict(loss=4.0, iter=50, step=50),
        dict(loss=2.0, iter=100, step=100),
        dict(VPQ=50.0, STQ=0.4, step=0),
        dict(loss=1.0, iter=150, step=150),
        dict(VPQ=60.0, STQ=0.5, step=0),
    ]
    (vis / 'scalars.json').write_text('\n'.join(json.dumps(x)
                                                for x in lines) + '\n')
    return str(tmp_path / 'run')


def test_curves_table_and_figure(tmp_path, capsys):
    run = _write_run(tmp_path)
    out = str(tmp_path / 'curve.png')
    res = plot_curves.main(
        [run, '--metrics', 'VPQ', 'STQ', '--scale', '1', '100', '--out', out])
    table = capsys.readouterr().out
    # validations sit at the iteration of the training record before them
    assert [r['step'] for r in res['val']] == [100, 150]
    assert '| 100 | 50 | 40 |' in table and '| 150 | 60 | 50 |' in table
    assert osp.getsize(out) > 0


def test_curves_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match='scalars.json'):
        plot_curves.load_scalars(str(tmp_path))
    bad = tmp_path / 'scalars.json'
    bad.write_text('{"loss": 1}\nnot json\n')
    with pytest.raises(ValueError, match='line 2'):
        plot_curves.load_scalars(str(bad))
