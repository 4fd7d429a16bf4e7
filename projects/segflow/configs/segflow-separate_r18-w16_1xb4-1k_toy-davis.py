# Ablation: the same two branches, losses and schedule without any joining
# (no segmentation -> flow nor flow -> segmentation features).
_base_ = ['./segflow_r18-w16_1xb4-1k_toy-davis.py']
model = dict(decoder=dict(joins=()))
