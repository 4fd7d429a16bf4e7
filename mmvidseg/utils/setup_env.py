# Copyright (c) OpenMMLab. All rights reserved.
import datetime
import warnings

from mmengine import DefaultScope


def register_all_modules(init_default_scope: bool = True) -> None:
    """Import every mmvidseg module so that it registers itself.

    Args:
        init_default_scope (bool): Whether to make ``mmvidseg`` the current
            default scope (a new, uniquely named scope instance is created
            when another scope is current). Defaults to True.
    """
    import mmvidseg.datasets  # noqa: F401,F403
    import mmvidseg.engine  # noqa: F401,F403
    import mmvidseg.evaluation  # noqa: F401,F403
    import mmvidseg.models  # noqa: F401,F403
    import mmvidseg.visualization  # noqa: F401,F403

    if not init_default_scope:
        return
    current = DefaultScope.get_current_instance()
    if current is None or not DefaultScope.check_instance_created('mmvidseg'):
        DefaultScope.get_instance('mmvidseg', scope_name='mmvidseg')
    elif current.scope_name != 'mmvidseg':
        warnings.warn(f'The current default scope "{current.scope_name}" '
                      'is not "mmvidseg"; a new one is created for it.')
        name = f'mmvidseg-{datetime.datetime.now()}'
        DefaultScope.get_instance(name, scope_name='mmvidseg')
