# The tiny VS-ReID of vs-reid_r18-w16_1xb2-1k_toy-davis.py (same training,
# same weights) with re-identification, tested on toy DAVIS videos in which
# one first-frame object hides behind a sign for 3 frames and comes back.
# Candidates are the pre-computed boxes the toy writer stores (every visible
# thing); embeddings come from the propagation RGB stream (embedder=None).
# Data (64x96 frames, 12 val videos of 8 frames):
#   python tools/misc/generate_toy_data.py davis data/toy_davis_occ \
#       --num-train 0 --num-val 12 --occlude-frames 3
# Re-identification off (same weights):
#   --cfg-options model.test_cfg.reid=False
_base_ = ['./vs-reid_r18-w16_1xb2-1k_toy-davis.py']
occ_root = 'data/toy_davis_occ/'

model = dict(
    reid=dict(
        type='VOSReIDTracker',
        proposal_file=occ_root + 'Proposals/480p/val.json',
        embedder=None,
        reid_th=0.5,
        bbox_occ_th=0.3,
        det_score_thr=0.5,
        crop_size=(64, 64)),
    test_cfg=dict(reid=True))

val_dataloader = dict(dataset=dict(data_root=occ_root))
test_dataloader = val_dataloader
