# Copyright (c) OpenMMLab. All rights reserved.
"""model-index.yml and the per-method metafile.yml files (MIM's model index)
agree with the configs and with the method READMEs.

The READMEs are read at test time, so a re-measured number in a README
fails here until the metafile is updated too.
"""
import glob
import os.path as osp
import re

import pytest
import yaml

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
NUMBER = re.compile(r'(?<![\w.])-?\d+(?:\.\d+)?(?![\w.]*\d)')


def _load(path):
    with open(osp.join(ROOT, path), encoding='utf-8') as f:
        return yaml.safe_load(f)


def _metafiles():
    return sorted(
        osp.relpath(p, ROOT)
        for p in glob.glob(osp.join(ROOT, 'configs', '*', 'metafile.yml')))


def _models():
    """(metafile, model dict) for every model of every metafile."""
    return [(mf, model) for mf in _metafiles()
            for model in _load(mf).get('Models', [])]


def _readme_numbers(readme):
    """The README's text and the numbers in its table rows (where results
    are reported; prose also quotes superseded numbers)."""
    with open(osp.join(ROOT, readme), encoding='utf-8') as f:
        text = f.read()
    rows = '\n'.join(line for line in text.splitlines()
                     if line.lstrip().startswith('|'))
    return text, {float(x) for x in NUMBER.findall(rows.replace(',', ''))}


def test_model_index_imports_every_metafile():
    index = _load('model-index.yml')
    imports = index['Import']
    assert len(imports) == len(set(imports)), imports
    for path in imports:
        assert osp.isfile(osp.join(ROOT, path)), f'{path} does not exist'
    assert sorted(imports) == _metafiles()


def test_every_config_is_in_a_metafile():
    configs = sorted(
        osp.relpath(p, ROOT)
        for p in glob.glob(osp.join(ROOT, 'configs', '**', '*.py'),
                           recursive=True))
    configs = [c for c in configs if '_base_' not in c.split(osp.sep)]
    assert configs
    listed = [model['Config'] for _, model in _models()]
    assert len(listed) == len(set(listed)), 'a config is listed twice'
    missing = sorted(set(configs) - set(listed))
    assert not missing, f'configs in no metafile.yml: {missing}'


def test_metafile_fields():
    names = set()
    for mf, meta in ((mf, _load(mf)) for mf in _metafiles()):
        method_dir = osp.dirname(mf)
        collections = {c['Name']: c for c in meta['Collections']}
        for c in collections.values():
            assert osp.isfile(osp.join(ROOT, c['README'])), c['README']
            assert c['Paper']['URL'].startswith('https://'), c['Name']
        for model in meta['Models']:
            cfg = model['Config']
            assert osp.isfile(osp.join(ROOT, cfg)), f'{mf}: {cfg} is missing'
            assert osp.dirname(cfg) == method_dir, (mf, cfg)
            assert model['Name'] == osp.splitext(osp.basename(cfg))[0]
            assert model['Name'] not in names, model['Name']
            names.add(model['Name'])
            assert model['In Collection'] in collections, model['Name']
            # no checkpoint file exists for any model
            assert 'Weights' not in model, model['Name']
            for result in model.get('Results', []):
                assert {'Task', 'Dataset', 'Metrics'} <= set(result)
                if '_toy-' in cfg:
                    # toy results are marked as such
                    assert result['Dataset'].startswith('toy '), cfg
                    assert '(generated)' in result['Dataset'], cfg


@pytest.mark.parametrize('metafile', _metafiles())
def test_metric_numbers_appear_in_the_method_readme_tables(metafile):
    meta = _load(metafile)
    readme = meta['Collections'][0]['README']
    text, numbers = _readme_numbers(readme)
    drifted = []
    for model in meta['Models']:
        for result in model.get('Results', []):
            for metric, value in result['Metrics'].items():
                if float(value) not in numbers:
                    drifted.append(f"{model['Name']}: {result['Dataset']} "
                                   f'{metric} {value}')
        params = model.get('Metadata', {}).get('Parameters')
        if params is not None:
            number = str(params).rstrip('M')
            if not re.search(re.escape(number) + r'\s*M\b', text):
                drifted.append(f"{model['Name']}: Parameters {params}")
    assert not drifted, (f'numbers of {metafile} that {readme} does not '
                         f'contain (update the metafile): {drifted}')
