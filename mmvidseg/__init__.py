# Copyright (c) OpenMMLab. All rights reserved.
import mmcv
import mmdet
import mmengine
import mmseg
from mmengine.utils import digit_version

from .version import __version__, version_info

mmcv_minimum_version = '2.0.0'
mmcv_maximum_version = '2.2.0'
mmengine_minimum_version = '0.10.0'
mmengine_maximum_version = '1.0.0'
mmdet_minimum_version = '3.0.0'
mmdet_maximum_version = '3.4.0'
mmseg_minimum_version = '1.0.0'
mmseg_maximum_version = '2.0.0'


def _check(name, version, lo, hi):
    if not digit_version(lo) <= digit_version(version) < digit_version(hi):
        raise RuntimeError(f'{name}=={version} is incompatible with mmvidseg: '
                           f'need {lo} <= {name} < {hi}. Run tools/install.sh '
                           'for the verified stack.')


_check('mmcv', mmcv.__version__, mmcv_minimum_version, mmcv_maximum_version)
_check('mmengine', mmengine.__version__, mmengine_minimum_version,
       mmengine_maximum_version)
_check('mmdet', mmdet.__version__, mmdet_minimum_version,
       mmdet_maximum_version)
_check('mmseg', mmseg.__version__, mmseg_minimum_version,
       mmseg_maximum_version)

# Let every checkpoint mmengine writes load under torch>=2.6 weights_only.
from .utils.checkpoint import register_checkpoint_safe_globals  # noqa: E402

register_checkpoint_safe_globals()

__all__ = ['__version__', 'version_info']
