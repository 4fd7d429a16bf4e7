# Copyright (c) OpenMMLab. All rights reserved.
"""Metrics as strict JSON: no ``NaN`` / ``Infinity`` tokens.

``json.dumps`` writes a NaN as ``NaN`` and an infinity as ``Infinity``,
which are not JSON (RFC 8259) and which strict parsers (``jq``, browsers,
most languages' readers) reject. Here every non-finite number becomes
``null`` and a ``<key>_reason`` entry right after it says why, e.g.::

    {"VPQ@8": null, "VPQ@8_reason": "every video is shorter than 8 ..."}
"""
import json
import math
from typing import Any, Dict, Mapping, Optional

#: Reason given for a NaN when the metric gives none.
DEFAULT_NAN_REASON = ('not a number: the metric is undefined on this data '
                      '(an average over nothing, e.g. no class, object or '
                      'window to score)')
#: Reason given for an infinity when the metric gives none.
DEFAULT_INF_REASON = 'infinite: the metric has no finite value on this data'


def _scalar(value):
    """numpy scalars and 0-d arrays as Python numbers."""
    if hasattr(value, 'item') and getattr(value, 'ndim', None) == 0:
        return value.item()
    return value


def _non_finite(value) -> bool:
    return isinstance(value, float) and not math.isfinite(value)


def _plain(value):
    """``value`` with numpy scalars / arrays as Python numbers / lists and
    non-finite numbers as None, recursively."""
    value = _scalar(value)
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if hasattr(value, 'tolist'):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return None if _non_finite(value) else value


def strict_metrics(metrics: Mapping[str, Any],
                   reasons: Optional[Mapping[str, str]] = None,
                   with_reasons: bool = True) -> Dict[str, Any]:
    """A copy of ``metrics`` that :func:`json.dumps` writes as strict JSON.

    Args:
        metrics (Mapping[str, Any]): Metric name -> value (numbers, numpy
            scalars, strings, nested lists / dicts).
        reasons (Mapping[str, str], optional): Why a metric is NaN or
            infinite, by metric name; the defaults above otherwise.
        with_reasons (bool): Add ``<key>_reason`` after each null. Defaults
            to True.

    Returns:
        dict: The same keys in the same order, non-finite numbers as
        ``None``, each followed by its ``<key>_reason`` (unless the input
        already has that key).
    """
    reasons = reasons or {}
    out: Dict[str, Any] = {}
    for key, value in metrics.items():
        value = _scalar(value)
        if not _non_finite(value):
            out[key] = _plain(value)
            continue
        out[key] = None
        reason_key = f'{key}_reason'
        if with_reasons and reason_key not in metrics:
            default = DEFAULT_NAN_REASON if math.isnan(value) else \
                DEFAULT_INF_REASON
            out[reason_key] = reasons.get(key, default)
    return out


def dumps_strict(metrics: Mapping[str, Any],
                 reasons: Optional[Mapping[str, str]] = None,
                 with_reasons: bool = True,
                 **kwargs) -> str:
    """:func:`json.dumps` of :func:`strict_metrics` (``allow_nan=False``,
    so anything non-finite left over raises instead of writing bad JSON).
    """
    return json.dumps(
        strict_metrics(metrics, reasons, with_reasons),
        allow_nan=False,
        **kwargs)
