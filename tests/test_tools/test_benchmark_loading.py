# Copyright (c) OpenMMLab. All rights reserved.
"""tools/analysis_tools/benchmark_loading.py runs on every format."""
import importlib.util
import os.path as osp

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def test_benchmark_loading_prints_ratios(tmp_path, capsys):
    path = osp.join(REPO, 'tools', 'analysis_tools', 'benchmark_loading.py')
    spec = importlib.util.spec_from_file_location('_bench_loading', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rows = module.main([
        '--videos', '1', '--frames', '2', '--height', '32', '--width', '48',
        '--repeat', '1', '--work-dir', str(tmp_path)
    ])
    assert [r[0] for r in rows] == list(module.FORMATS)
    assert all(loader > 0 and baseline > 0 for _, loader, baseline in rows)
    out = capsys.readouterr().out
    assert 'ratio' in out
    for fmt in module.FORMATS:
        assert fmt in out
