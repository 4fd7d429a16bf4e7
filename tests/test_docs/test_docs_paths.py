# Copyright (c) OpenMMLab. All rights reserved.
"""Every repository path and script named in the docs exists.

Checked in README.md, docs/en/**/*.md and configs/*/README.md:

- backticked paths (inline code and fenced code blocks) under configs/,
  tools/, demo/, mmvidseg/, projects/, docs/, tests/ and requirements/,
  which covers the scripts of ``python tools/...`` / ``bash tools/...``
  command lines;
- in a method README, config file names (``..._NxbB-..._dataset.py``) and
  ``_base_/`` paths, relative to its folder;
- relative Markdown links and images.

Placeholders (``CONFIG``, ``<video>``, ``{train,val}``, ``*``, ``...``),
``data/`` and ``work_dirs/`` paths and URLs are not checked.
"""
import glob
import os.path as osp
import re

import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
PREFIXES = ('configs/', 'tools/', 'demo/', 'mmvidseg/', 'projects/', 'docs/',
            'tests/', 'requirements/')
# written at install time (setup.py), not in a clone
GENERATED = ('mmvidseg/.mim',)
# paths of other repositories, cited as such (file:line of the official code)
EXTERNAL = {
    'configs/video_knet/README.md': {
        'configs/det/video_knet_kitti_step/video_knet_s3_r50_rpn_1x_'
        'kitti_step_sigmoid_stride2_mask_embed_link_ffn_joint_train.py',
        'configs/det/_base_/models/knet_kitti_step_s3_r50_fpn.py',
        'configs/video_knet_vis/_base_/models/knet_track_r50.py',
    },
    'configs/deep_voxel_flow/README.md': {'configs/voxel-flow.py'},
    'configs/polyphonicformer/README.md': {
        'configs/_base_/models/polyphonic_former.py',
        'configs/polyphonic_video/poly_r50_cityscapes_1x.py',
    },
}
CONFIG_NAME = re.compile(r'^[\w.-]+_\d+xb\d+-[\w.-]+\.py$')
PLACEHOLDER = re.compile(r'[<>{}*$\[\]|]|\.\.\.|(^|/)[A-Z][A-Z0-9_]+(/|$)')
LINK = re.compile(r'!?\[[^\]]*\]\(([^)\s]+)\)')
FENCE = re.compile(r'^\s*(```|~~~)')
INLINE = re.compile(r'`([^`\n]+)`')


def _docs():
    files = ['README.md']
    files += glob.glob(osp.join(ROOT, 'docs', 'en', '**', '*.md'),
                       recursive=True)
    files += glob.glob(osp.join(ROOT, 'configs', '*', 'README.md'))
    return sorted(osp.relpath(osp.join(ROOT, f), ROOT) for f in files)


def _code_tokens(text):
    """Whitespace-separated tokens of fenced code blocks and inline code."""
    tokens, in_fence = [], False
    for line in text.splitlines():
        if FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            tokens += line.split()
        else:
            for span in INLINE.findall(line):
                tokens += span.split()
    return tokens


def _clean(token):
    token = token.strip('\'"(),;:')
    token = re.sub(r'^[A-Z_]+=', '', token)  # VAR=path
    if token.startswith('./'):
        token = token[2:]
    return re.sub(r'(:\d+(-\d+)?|#L\d+.*)$', '', token)  # file:line


def _referenced(doc):
    """(path relative to the root, as written) of every checked path."""
    with open(osp.join(ROOT, doc), encoding='utf-8') as f:
        text = f.read()
    here = osp.dirname(doc)
    method_readme = doc.startswith('configs/')
    refs = []
    for raw in _code_tokens(text):
        token = _clean(raw)
        if not token or PLACEHOLDER.search(token):
            continue
        if token.startswith(PREFIXES):
            refs.append((token, raw))
        elif method_readme and CONFIG_NAME.match(token):
            refs.append((osp.join(here, token), raw))
        elif method_readme and token.startswith('_base_/'):
            # the method's own _base_ or the shared configs/_base_
            own = osp.join(here, token)
            shared = osp.join('configs', token)
            exists = osp.exists(osp.join(ROOT, own.rstrip('/')))
            refs.append((own if exists else shared, raw))
    for target in LINK.findall(text):
        target = target.split('#')[0]
        if not target or re.match(r'^[a-z]+:', target):
            continue  # an anchor or a URL
        refs.append((osp.normpath(osp.join(here, target)), target))
    return refs


@pytest.mark.parametrize('doc', _docs())
def test_paths_named_in_docs_exist(doc):
    missing = []
    for path, raw in _referenced(doc):
        path = path.rstrip('/')
        if path.startswith(GENERATED) or path in EXTERNAL.get(doc, ()):
            continue
        if not osp.exists(osp.join(ROOT, path)):
            missing.append(raw)
    assert not missing, f'{doc} names paths that do not exist: {missing}'


@pytest.mark.parametrize('doc', sorted(EXTERNAL))
def test_external_paths_are_still_cited(doc):
    cited = {path for path, _ in _referenced(doc)}
    assert not EXTERNAL[doc] - cited, 'drop them from EXTERNAL'


def test_the_checker_sees_paths():
    refs = dict(_referenced('README.md'))
    assert 'tools/train.py' in refs
    assert 'configs/frame_baseline/README.md' in refs
    assert not [p for p in refs if p.startswith(('data/', 'work_dirs/'))]
    refs = [p for p, _ in _referenced('configs/deep_voxel_flow/README.md')]
    assert ('configs/deep_voxel_flow/dvf_unet-tiny-ms2_1xb8-1k_toy-'
            'triplets.py') in refs
