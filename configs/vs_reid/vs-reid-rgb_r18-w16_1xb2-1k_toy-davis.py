# Ablation of the flow stream: the tiny VS-ReID of
# vs-reid_r18-w16_1xb2-1k_toy-davis.py with the RGB stream only (the flow
# still warps the guide masks). Same data and schedule.
_base_ = ['./vs-reid_r18-w16_1xb2-1k_toy-davis.py']

model = dict(flow_backbone=None, flow_head=None)
