# Ablation: the motion stream alone (no fusion).
_base_ = ['./fusionseg_r18-w16_1xb4-200_toy-davis.py']
model = dict(streams=('motion', ))
