# Copyright (c) OpenMMLab. All rights reserved.
"""``tools/analysis_tools/benchmark_metrics.py`` runs and its vectorised and
official-style implementations agree on the benchmark's own data."""
import pytest


@pytest.mark.parametrize('metric',
                         ['vpq', 'stq', 'dvpq', 'davis', 'ytvis', 'vid'])
def test_benchmark_tiny(metric, benchmark_metrics):
    size = (1, 4, 48, 64) if metric != 'dvpq' else (1, 6, 48, 96)
    row = benchmark_metrics.run(metric, small=True, reference=True,
                                size=size)
    assert row['frames'] == size[0] * size[1]
    assert row['fps_ours'] > 0 and row['fps_ref'] > 0
    assert row['peak_mb_ours'] >= 0
    assert row['max_abs_diff'] <= 1e-9
