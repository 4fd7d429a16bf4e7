# Copyright (c) OpenMMLab. All rights reserved.
import importlib.util
import json
import os.path as osp

import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
_spec = importlib.util.spec_from_file_location(
    '_analyze_logs', osp.join(ROOT, 'tools', 'analysis_tools',
                              'analyze_logs.py'))
analyze_logs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(analyze_logs)


def _write_run(root, times, epochs=None, val_every=2):
    """A work dir with one run whose json log has a training record every
    10 iterations with the given ``time`` values."""
    vis = root / '20260101_000000' / 'vis_data'
    vis.mkdir(parents=True)
    lines = []
    for i, t in enumerate(times, 1):
        rec = dict(loss=1.0 / i, time=t, data_time=t / 10, iter=10 * i,
                   step=10 * i)
        if epochs:
            rec['epoch'] = epochs[i - 1]
        lines.append(rec)
        if i % val_every == 0:
            lines.append(dict(mIoU=10.0 * i, time=99.0, step=0))
    (vis / 'scalars.json').write_text(''.join(
        json.dumps(x) + '\n' for x in lines))
    return str(root)


def test_cal_train_time(tmp_path, capsys):
    run = _write_run(tmp_path / 'run', [5.0, 0.2, 0.4, 0.3])
    res, = analyze_logs.main(['cal_train_time', run])
    # the first (start-up) interval is left out; validation times too
    assert res['intervals'] == 3
    assert res['average'] == pytest.approx(0.3)
    assert (res['slowest'], res['slowest_step']) == (0.4, 30)
    assert (res['fastest'], res['fastest_step']) == (0.2, 20)
    assert res['data_time'] == pytest.approx(0.03)
    assert res['iters'] == 40
    assert res['total'] == pytest.approx(0.3 * 40 / 3600)
    text = capsys.readouterr().out
    assert 'average iter time: 0.3000 s/iter over 3 logging' in text
    assert 'slowest interval: 0.4000 s/iter (ending at iter 30)' in text
    res, = analyze_logs.main(['cal_train_time', run, '--include-outliers'])
    assert res['intervals'] == 4 and res['slowest'] == 5.0
    assert res['average'] == pytest.approx((5.0 + 0.2 + 0.4 + 0.3) / 4)


def test_cal_train_time_epochs_and_uneven_intervals():
    train = [
        dict(loss=1, time=9.0, step=5, epoch=1),
        dict(loss=1, time=1.0, step=10, epoch=1),
        dict(loss=1, time=2.0, step=30, epoch=2),
        dict(loss=1, time=4.0, step=40, epoch=2),
    ]
    res = analyze_logs.cal_train_time(train)
    # intervals of 5, 20 and 10 iterations weight the average
    assert res['average'] == pytest.approx((1 * 5 + 2 * 20 + 4 * 10) / 35)
    assert (res['slowest_epoch'], res['fastest_epoch']) == (2, 1)
    assert res['slowest_epoch_time'] == pytest.approx(3.0)
    with pytest.raises(ValueError, match='no training record'):
        analyze_logs.cal_train_time([dict(loss=1, step=1)])


def test_plot_curve(tmp_path):
    run_a = _write_run(tmp_path / 'a', [1, 1, 1, 1])
    run_b = _write_run(tmp_path / 'b', [1, 1, 1, 1, 1, 1])
    out = str(tmp_path / 'curves.png')
    legend = analyze_logs.main([
        'plot_curve', run_a, run_b, '--keys', 'loss', 'mIoU', '--out', out
    ])
    assert legend == ['a_loss', 'a_mIoU', 'b_loss', 'b_mIoU']
    assert osp.getsize(out) > 0
    log = analyze_logs.load_json_log(run_b)
    # validation (step 0 in iteration-based logs) sits at the iteration
    # of the training record before it
    assert analyze_logs.curve_points(log, 'mIoU') == ([20, 40, 60],
                                                      [20.0, 40.0, 60.0])
    with pytest.raises(KeyError, match="no 'VPQ'; its keys: data_time"):
        analyze_logs.curve_points(log, 'VPQ')
    with pytest.raises(ValueError, match='--legend needs 2 names'):
        analyze_logs.main(['plot_curve', run_a, '--keys', 'loss', 'mIoU',
                           '--legend', 'x', '--out', out])


def test_log_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match='does not exist'):
        analyze_logs.load_json_log(str(tmp_path / 'missing'))
    with pytest.raises(FileNotFoundError, match='holds no vis_data'):
        analyze_logs.load_json_log(str(tmp_path))
    bad = tmp_path / 'bad.json'
    bad.write_text('{"loss": 1, "step": 1}\n[1, 2]\n')
    with pytest.raises(ValueError, match='line 2 is not a JSON object'):
        analyze_logs.load_json_log(str(bad))
