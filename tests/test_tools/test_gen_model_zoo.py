# Copyright (c) OpenMMLab. All rights reserved.
"""docs/en/model_zoo.md is what tools/misc/gen_model_zoo.py makes of the
metafiles (it cannot drift), with a section and README link per method."""
import glob
import os
import os.path as osp

import pytest

from mmvidseg.testing.inference import load_script, repo_path


def test_committed_page_equals_generated():
    tool = load_script('tools/misc/gen_model_zoo.py')
    with open(repo_path('docs', 'en', 'model_zoo.md')) as f:
        assert f.read() == tool.render(), (
            'docs/en/model_zoo.md is out of date: run '
            'python tools/misc/gen_model_zoo.py')
    assert tool.main(['--check']) == 0


def test_one_section_per_method_with_readme_link():
    tool = load_script('tools/misc/gen_model_zoo.py')
    text = tool.render()
    for path in glob.glob(repo_path('configs', '*', 'metafile.yml')):
        method = osp.basename(osp.dirname(path))
        assert f'(../../configs/{method}/README.md)' in text, method
    assert text.count('\n## ') == len(
        glob.glob(repo_path('configs', '*', 'metafile.yml')))
    assert '**toy**' in text


def test_check_detects_drift_and_bad_metafile(tmp_path):
    tool = load_script('tools/misc/gen_model_zoo.py')
    stale = tmp_path / 'zoo.md'
    stale.write_text('# old\n')
    assert tool.main(['--check', '--out', str(stale)]) == 1
    assert tool.main(['--out', str(stale)]) == 0
    assert tool.main(['--check', '--out', str(stale)]) == 0
    os.makedirs(tmp_path / 'configs' / 'm')
    (tmp_path / 'configs' / 'm' / 'metafile.yml').write_text(
        'Collections:\n  - Name: A\nModels:\n  - Name: x\n'
        '    In Collection: B\n    Config: configs/m/x.py\n')
    with pytest.raises(ValueError, match="collection 'B'"):
        tool.render(str(tmp_path))
