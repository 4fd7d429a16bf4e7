# Copyright (c) OpenMMLab. All rights reserved.
"""The sdist carries what a build needs; the wheel built from it installs
into a fresh environment and runs ``mim train`` / ``mim test`` from its
``.mim`` folder, with the source tree nowhere on the path.

The builds run on a copy of the working tree (the files git tracks or does
not ignore), so the repository itself is left alone (no ``dist/``,
``*.egg-info`` or ``.mim`` copies written into it).
"""
import glob
import json
import os
import os.path as osp
import shutil
import site
import subprocess
import sys
import tarfile
import zipfile

import pytest

from mmvidseg.ops.utils import compiled_ops
from mmvidseg.testing.cli import run_checked

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = 'frame-baseline_fcn-r18-w16_1xb4-1k_toy-vspw.py'
# openmim's own requirements pull in openxlab, which pins setuptools 60 and
# would break this stack; these are the modules mim imports (installed with
# --no-deps into the test environment when the base one lacks them)
MIM_PACKAGES = {
    'openmim': 'mim', 'click': 'click', 'model-index': 'modelindex',
    'markdown': 'markdown', 'ordered-set': 'ordered_set',
    'pandas': 'pandas', 'tabulate': 'tabulate', 'rich': 'rich',
    'requests': 'requests', 'urllib3': 'urllib3', 'idna': 'idna',
    'certifi': 'certifi', 'charset-normalizer': 'charset_normalizer'
}


def _source_files():
    """Paths (relative to the root) of the working tree's files that git
    tracks or does not ignore; every file but build outputs without git."""
    if osp.exists(osp.join(ROOT, '.git')) and shutil.which('git'):
        out = subprocess.run(
            ['git', 'ls-files', '-z', '--cached', '--others',
             '--exclude-standard'],
            cwd=ROOT, capture_output=True, check=True).stdout
        return [f for f in out.decode().split('\0') if f]
    skip = {'.venv', '.git', 'build', 'dist', 'work_dirs', 'data', '.mim',
            '__pycache__'}
    files = []
    for root, dirs, names in os.walk(ROOT):
        dirs[:] = [d for d in dirs
                   if d not in skip and not d.endswith('.egg-info')]
        files += [osp.relpath(osp.join(root, n), ROOT) for n in names]
    return files


def _env(**extra):
    env = dict(os.environ, OMP_NUM_THREADS='1', **extra)
    env.pop('PYTHONPATH', None)  # nothing of the source tree on the path
    return env


@pytest.fixture(scope='module')
def sdist(tmp_path_factory):
    """(path of the built sdist, names in it relative to its top folder)."""
    tmp = tmp_path_factory.mktemp('sdist')
    src = tmp / 'src'
    for rel in _source_files():
        if osp.isfile(osp.join(ROOT, rel)):  # not deleted in the tree
            os.makedirs(src / osp.dirname(rel), exist_ok=True)
            shutil.copy2(osp.join(ROOT, rel), src / rel)
    run_checked([sys.executable, 'setup.py', '-q', 'sdist', '--dist-dir',
                 str(tmp / 'dist')], cwd=str(src), env=_env(), timeout=600)
    path, = glob.glob(str(tmp / 'dist' / 'mmvidseg-*.tar.gz'))
    with tarfile.open(path) as tar:
        names = [m.name.split('/', 1)[1] for m in tar.getmembers()
                 if m.isfile()]
    return path, names


def test_sdist_file_list(sdist):
    _, names = sdist
    names = set(names)
    required = [
        'setup.py', 'MANIFEST.in', 'README.md', 'LICENSE', 'model-index.yml',
        'requirements/runtime.txt', 'tools/train.py', 'tools/test.py',
        'tools/dist_train.sh', 'tools/misc/generate_toy_data.py',
        f'configs/frame_baseline/{CONFIG}', 'configs/_base_/default_runtime.py'
    ]
    assert not [n for n in required if n not in names], sorted(names)
    # every requirements file, config, metafile, tool, demo and op source
    tree = _source_files()
    wanted = [
        f for f in tree
        if f.startswith(('requirements/', 'configs/', 'tools/', 'demo/'))
        and f.endswith(('.txt', '.py', '.sh', '.yml', '.md'))
        or f.startswith('mmvidseg/ops/') and '/csrc/' in f
    ]
    wanted = [f for f in wanted if osp.isfile(osp.join(ROOT, f))]
    assert not sorted(set(wanted) - names)
    assert any('/csrc/' in n and n.endswith('.cu') for n in names)
    # no build outputs, no test suite
    junk = [n for n in names
            if n.endswith(('.so', '.o', '.pyc')) or '/.mim/' in n
            or n.startswith('tests/')]
    assert not junk, junk


def _build_wheel(sdist_path, tmp):
    """Unpack the sdist and build a wheel from it (the ops compile)."""
    with tarfile.open(sdist_path) as tar:
        tar.extractall(tmp / 'unpacked', filter='data')
    src, = glob.glob(str(tmp / 'unpacked' / 'mmvidseg-*'))
    run_checked([sys.executable, '-m', 'pip', 'wheel', '--no-deps',
                 '--no-build-isolation', '-w', str(tmp / 'wheels'), src],
                cwd=str(tmp), env=_env(), timeout=1800)
    wheel, = glob.glob(str(tmp / 'wheels' / 'mmvidseg-*.whl'))
    return wheel


def _check_wheel(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    mim = 'mmvidseg/.mim/'
    for name in ['model-index.yml', 'tools/train.py', 'tools/test.py',
                 'tools/misc/generate_toy_data.py',
                 'demo/interpolate_video.py',
                 f'configs/frame_baseline/{CONFIG}',
                 'configs/video_knet/metafile.yml']:
        assert mim + name in names, name
    assert not [n for n in names if '__pycache__' in n or n.endswith('.pyc')]
    if shutil.which('c++') or shutil.which('g++'):
        for op in compiled_ops():
            assert [n for n in names
                    if n.startswith(f'mmvidseg/ops/{op}/_ext.')], op


def _make_venv(tmp, wheel):
    """A fresh venv that sees this interpreter's site-packages (the pinned
    stack) but neither the source tree nor the editable install's hook, with
    the wheel installed in it. Returns its python."""
    venv = tmp / 'venv'
    run_checked([sys.executable, '-m', 'venv', '--without-pip', str(venv)],
                cwd=str(tmp))
    python = str(venv / 'bin' / 'python')
    purelib = subprocess.run(
        [python, '-c', 'import sysconfig; '
         'print(sysconfig.get_paths()["purelib"])'],
        capture_output=True, text=True, check=True).stdout.strip()
    # a plain path line: the base site-packages' own .pth files (the
    # editable install's finder) are not run
    base = [p for p in site.getsitepackages() if osp.isdir(p)]
    with open(osp.join(purelib, '_base_env.pth'), 'w') as f:
        f.write('\n'.join(base) + '\n')
    # --ignore-installed: the editable mmvidseg of the base env is left
    # alone (pip never uninstalls it), the wheel goes into the venv
    run_checked([python, '-m', 'pip', 'install', '--no-deps',
                 '--ignore-installed', wheel], cwd=str(tmp), env=_env())
    missing = [pkg for pkg, module in MIM_PACKAGES.items()
               if subprocess.run([python, '-c', f'import {module}'],
                                 capture_output=True).returncode != 0]
    if missing:
        run_checked([python, '-m', 'pip', 'install', '--no-deps', *missing],
                    cwd=str(tmp), env=_env(), timeout=900)
    return python


def _mim(python, *args, cwd):
    return run_checked([python, '-m', 'mim', *args], cwd=cwd, env=_env(),
                       timeout=900)


def _last_val_scalars(work_dir):
    path, = glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))
    with open(path) as f:
        rows = [json.loads(line) for line in f if line.strip()]
    return [r for r in rows if 'mIoU' in r][-1]


def _check_installed(python, venv, cwd):
    """The venv's python imports mmvidseg from the wheel, not the source
    tree; returns the installed package's folder."""
    proc = run_checked(
        [python, '-c', 'import json, sys, mmvidseg, mim; '
         'print(json.dumps([mmvidseg.__file__, sys.path]))'],
        cwd=cwd, env=_env())
    installed, path = json.loads(proc.stdout.strip().splitlines()[-1])
    assert installed.startswith(str(venv)), installed
    assert not [p for p in path if p and osp.realpath(p) == ROOT], path
    package = osp.dirname(installed)
    assert osp.isfile(
        osp.join(package, '.mim', 'configs', 'frame_baseline', CONFIG))
    return package


def _mim_train_and_test(python, package, cwd):
    """Toy data with the installed tool, 2 iterations of ``mim train``, then
    ``mim test`` of the checkpoint."""
    _mim(python, 'run', 'mmvidseg', 'generate_toy_data', 'vspw', 'toy',
         '--num-train', '2', '--num-val', '1', '--frames', '4', cwd=cwd)
    data = osp.join(cwd, 'toy')
    opts = [f'{loader}.dataset.data_root={data}'
            for loader in ('train_dataloader', 'val_dataloader',
                           'test_dataloader')]
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        opts += [f'{loader}.num_workers=0',
                 f'{loader}.persistent_workers=False']
    proc = _mim(python, 'train', 'mmvidseg', CONFIG, '--work-dir', 'wd',
                '--cfg-options', 'train_cfg.max_iters=2', *opts, cwd=cwd)
    assert osp.join(package, '.mim', 'tools', 'train.py') in proc.stdout
    assert osp.isfile(osp.join(cwd, 'wd', 'iter_2.pth'))
    val = _last_val_scalars(osp.join(cwd, 'wd'))

    _mim(python, 'test', 'mmvidseg', CONFIG, '--checkpoint', 'wd/iter_2.pth',
         '--work-dir', 'wd_test', '--json-out', 'metrics.json',
         '--cfg-options', *opts, cwd=cwd)
    with open(osp.join(cwd, 'metrics.json')) as f:
        metrics = json.load(f)
    # the saved checkpoint scores what the training's last validation did
    assert metrics['mIoU'] == pytest.approx(val['mIoU'], abs=1e-4)


@pytest.mark.slow
def test_wheel_from_sdist_installs_and_mim_trains(sdist, tmp_path):
    wheel = _build_wheel(sdist[0], tmp_path)
    _check_wheel(wheel)
    python = _make_venv(tmp_path, wheel)
    run = tmp_path / 'run'  # an unrelated cwd: no source tree anywhere
    run.mkdir()
    cwd = str(run)
    package = _check_installed(python, tmp_path / 'venv', cwd)

    # the model index, read by mim itself
    out = _mim(python, 'search', 'mmvidseg', cwd=cwd).stdout
    assert 'frame-baseline_fcn-r18-w16_1xb4-1k_toy-vspw' in out
    assert 'video-knet_r50_8xb1-24e_kitti-step' in out

    _mim_train_and_test(python, package, cwd)
