# Copyright (c) OpenMMLab. All rights reserved.
"""Install mmvidseg.

The package's own C++/CUDA ops live in ``mmvidseg/ops/<op>/csrc``. Each op
directory becomes one extension module ``mmvidseg.ops.<op>._ext`` built from
its ``*.cpp`` files, plus its ``*.cu`` files when CUDA is available (or
``FORCE_CUDA=1``). A missing compiler, or ``MMVIDSEG_WITH_OPS=0``, gives a
pure-Python install: every op then runs its PyTorch reference.
"""
import glob
import os
import os.path as osp
import shutil
import sys
import warnings
from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

ROOT = osp.dirname(osp.abspath(__file__))


def readme():
    with open(osp.join(ROOT, 'README.md'), encoding='utf-8') as f:
        return f.read()


def get_version():
    scope = {}
    with open(osp.join(ROOT, 'mmvidseg', 'version.py')) as f:
        exec(compile(f.read(), 'version.py', 'exec'), scope)
    return scope['__version__']


def parse_requirements(fname):
    """Read a requirements file, skipping comments and blank lines."""
    reqs = []
    with open(osp.join(ROOT, 'requirements', fname)) as f:
        for line in f:
            line = line.split('#')[0].strip()
            if line:
                reqs.append(line)
    return reqs


def op_sources():
    """Yield ``(module_name, cpp_sources, cu_sources)`` for each op.

    ``MMVIDSEG_OPS=a,b`` restricts the build to the named ops.
    """
    only = [x for x in os.getenv('MMVIDSEG_OPS', '').split(',') if x]
    for csrc in sorted(glob.glob(osp.join('mmvidseg', 'ops', '*', 'csrc'))):
        op = osp.basename(osp.dirname(csrc))
        if only and op not in only:
            continue
        cpp = sorted(glob.glob(osp.join(csrc, '**', '*.cpp'), recursive=True))
        cu = sorted(glob.glob(osp.join(csrc, '**', '*.cu'), recursive=True))
        if cpp:
            yield f'mmvidseg.ops.{op}._ext', cpp, cu


def get_extensions():
    if os.getenv('MMVIDSEG_WITH_OPS', '1') == '0':
        return []
    try:
        import torch
        from torch.utils.cpp_extension import CppExtension, CUDAExtension
    except ImportError:
        warnings.warn('torch is not installed: mmvidseg ops are not built '
                      'and fall back to their PyTorch references.')
        return []
    with_cuda = (torch.cuda.is_available()
                 or os.getenv('FORCE_CUDA', '0') == '1')
    extensions = []
    for name, cpp, cu in op_sources():
        extra = {'cxx': ['-O3', '-fopenmp']}
        if with_cuda and cu:
            extra['nvcc'] = ['-O3', '-DWITH_CUDA']
            extra['cxx'].append('-DWITH_CUDA')
            extensions.append(
                CUDAExtension(name, cpp + cu, extra_compile_args=extra,
                              extra_link_args=['-fopenmp']))
        else:
            extensions.append(
                CppExtension(name, cpp, extra_compile_args=extra,
                             extra_link_args=['-fopenmp']))
    return extensions


def get_cmdclass():
    """A ``build_ext`` that warns instead of failing when an op won't build."""
    try:
        from torch.utils.cpp_extension import BuildExtension
    except ImportError:
        return {'build_py': BuildPyWithMim}

    class OptionalBuildExt(BuildExtension):

        def run(self):
            try:
                super().run()
            except Exception as e:  # compiler missing or broken
                warnings.warn(f'mmvidseg ops were not built ({e}); they '
                              'fall back to their PyTorch references.')

        def build_extension(self, ext):
            try:
                super().build_extension(ext)
            except Exception as e:
                warnings.warn(f'{ext.name} was not built ({e}); it falls '
                              'back to its PyTorch reference.')

    return {
        'build_py': BuildPyWithMim,
        'build_ext': OptionalBuildExt.with_options(use_ninja=True)
    }


MIM_FILES = ('configs', 'tools', 'demo', 'model-index.yml')


def add_mim_extension():
    """Link configs, tools, demo and model-index.yml into ``mmvidseg/.mim``.

    OpenMMLab's convention (mmdet/mmseg ``setup.py``): ``mim train mmvidseg
    CONFIG`` looks for ``<package>/.mim/{configs,tools}``. An editable
    install (``pip install -e .``) gets relative symlinks to the originals,
    so edits show at once; a wheel or a regular install gets copies, written
    by :class:`BuildPyWithMim` into the build directory (never into the
    source tree, so building a wheel leaves a developer's links alone).
    """
    if not ('develop' in sys.argv or any('editable' in a for a in sys.argv)):
        return
    mim_path = osp.join(ROOT, 'mmvidseg', '.mim')
    os.makedirs(mim_path, exist_ok=True)
    for name in MIM_FILES:
        src = osp.join(ROOT, name)
        dst = osp.join(mim_path, name)
        if not osp.exists(src):
            continue
        if osp.islink(dst) or osp.isfile(dst):
            os.remove(dst)
        elif osp.isdir(dst):
            shutil.rmtree(dst)
        os.symlink(osp.relpath(src, mim_path), dst)


class BuildPyWithMim(build_py):
    """``build_py`` that also copies the MIM files into ``mmvidseg/.mim``.

    The copies land in ``build_lib``, so every wheel (``pip wheel .``,
    ``pip install .``, a wheel built from the sdist) carries them.
    """

    def run(self):
        super().run()
        if getattr(self, 'editable_mode', False):
            return  # add_mim_extension() linked them in the source tree
        mim_path = osp.join(self.build_lib, 'mmvidseg', '.mim')
        ignore = shutil.ignore_patterns('__pycache__', '*.py[cod]')
        for name in MIM_FILES:
            src = osp.join(ROOT, name)
            dst = osp.join(mim_path, name)
            if not osp.exists(src):
                warnings.warn(f'{name} is missing: the wheel has no '
                              f'mmvidseg/.mim/{name}')
                continue
            if osp.isdir(dst) and not osp.islink(dst):
                shutil.rmtree(dst)
            elif osp.lexists(dst):
                os.remove(dst)
            os.makedirs(mim_path, exist_ok=True)
            if osp.isdir(src):
                shutil.copytree(src, dst, ignore=ignore)
            else:
                shutil.copyfile(src, dst)


if __name__ == '__main__':
    add_mim_extension()
    setup(
        name='mmvidseg',
        version=get_version(),
        description='OpenMMLab-style video segmentation, detection and '
        'synthesis methods on the mmengine runner',
        long_description=readme(),
        long_description_content_type='text/markdown',
        keywords='computer vision, video segmentation, video detection',
        packages=find_packages(exclude=('configs', 'tools', 'demo', 'tests',
                                        'projects')),
        include_package_data=True,
        package_data={'mmvidseg.ops': ['*/csrc/**/*']},
        python_requires='>=3.8',
        license='Apache License 2.0',
        install_requires=parse_requirements('runtime.txt'),
        extras_require={
            'tests': parse_requirements('tests.txt'),
            'optional': parse_requirements('optional.txt'),
            'mim': parse_requirements('mminstall.txt'),
        },
        ext_modules=get_extensions(),
        cmdclass=get_cmdclass(),
        zip_safe=False)
