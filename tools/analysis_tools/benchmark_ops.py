# Copyright (c) OpenMMLab. All rights reserved.
"""Benchmark one of mmvidseg's custom ops against its reference.

Usage::

    python tools/analysis_tools/benchmark_ops.py voxel_flow [--help]
    python tools/analysis_tools/benchmark_ops.py region_conv [--help]

Each op's benchmark lives in ``tools/analysis_tools/op_benchmarks/<op>.py``
and defines ``add_args(parser)`` and ``main(args)``; it measures the
compiled kernel and the reference in the same run and prints ratios.
"""
import argparse
import importlib.util
import os.path as osp
import sys

HERE = osp.join(osp.dirname(osp.abspath(__file__)), 'op_benchmarks')


def available_ops():
    import glob
    return sorted(
        osp.splitext(osp.basename(p))[0]
        for p in glob.glob(osp.join(HERE, '*.py'))
        if not osp.basename(p).startswith('_'))


def load(op):
    path = osp.join(HERE, f'{op}.py')
    if not osp.isfile(path):
        sys.exit(f'no benchmark for op "{op}" ({path} does not exist); '
                 f'available: {", ".join(available_ops())}')
    spec = importlib.util.spec_from_file_location(f'op_benchmark_{op}', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0].startswith('-'):
        print(__doc__)
        print('available ops:', ', '.join(available_ops()))
        return 0 if argv and argv[0] in ('-h', '--help') else 2
    op, rest = argv[0], argv[1:]
    module = load(op)
    parser = argparse.ArgumentParser(
        prog=f'benchmark_ops.py {op}', description=module.__doc__)
    module.add_args(parser)
    return module.main(parser.parse_args(rest)) or 0


if __name__ == '__main__':
    sys.exit(main())
