// Copyright (c) OpenMMLab. All rights reserved.
// Voxel-flow layer (Deep Voxel Flow, ICCV 2017): CPU kernels and binding.
//
//   out(n, c, p) = w * I0(n, c, p + a0 * F) + (1 - w) * I1(n, c, p + a1 * F)
//   with V = (Fx, Fy, m) of shape (N, 3, H, W), F in pixels, w = (1 + m) / 2
//
// Bilinear sampling matches torch.nn.functional.grid_sample(mode='bilinear',
// align_corners=False) after mapping pixel coordinates to its grid:
// padding 0 = 'border' (positions clamped into [0, W-1] x [0, H-1]; the
// gradient of a clamped coordinate is 0), 1 = 'zeros'.
//
// Two CPU paths compute the same function:
//  * generic: scalar code per output pixel on Bilinear (voxel_flow_common.h),
//    any floating dtype, any frame size;
//  * "pair" fast path (float32 on x86-64 with SSE2, frames of at least 2x2
//    and fewer than 2^24 pixels): a sample reads a 2x2 block that always
//    lies inside the frame, as two 64-bit loads. Its top-left corner is the
//    bilinear cell clamped into the frame; corners of the cell that fall
//    outside get no weight, which gives both padding modes without
//    branches. Each pixel's block offsets and weights are planned once per
//    image row and reused for every channel.
//
// Backward: the flow / mask gradients are per-pixel gathers. The image
// gradients are scatters to data-dependent positions, so two threads must
// not share a destination plane: with N >= threads one fused pass runs per
// sample; otherwise the flow gradients run over rows and the image
// gradients over the N * C planes, each plane owned by one thread. No
// atomics and no per-thread copies of the gradients are needed.
#include <ATen/Parallel.h>
#include <torch/extension.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#define VF_PAIR_PATH 1
#else
#define VF_PAIR_PATH 0
#endif

#include "voxel_flow_common.h"

#ifdef WITH_CUDA
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#endif

namespace mmvidseg {
namespace voxel_flow {

#ifdef WITH_CUDA
at::Tensor forward_cuda(const at::Tensor& img0, const at::Tensor& img1,
                        const at::Tensor& vflow, double a0, double a1,
                        int64_t padding, cudaStream_t stream);
std::vector<at::Tensor> backward_cuda(const at::Tensor& grad_out,
                                      const at::Tensor& img0,
                                      const at::Tensor& img1,
                                      const at::Tensor& vflow, double a0,
                                      double a1, int64_t padding,
                                      bool need_img_grad, cudaStream_t stream);
#endif

namespace {

struct Args {
  int64_t N, C, H, W;
  double a0, a1;
};

int64_t row_grain(int64_t W) {
  return std::max<int64_t>(1, 8192 / std::max<int64_t>(W, 1));
}

// ---------------------------------------------------------------------------
// Generic path.
// ---------------------------------------------------------------------------
template <typename scalar_t, bool BORDER>
void generic_forward(const scalar_t* img0, const scalar_t* img1,
                     const scalar_t* vflow, scalar_t* out, const Args& a) {
  const int64_t C = a.C, H = a.H, W = a.W, HW = H * W;
  const scalar_t a0 = scalar_t(a.a0), a1 = scalar_t(a.a1);
  at::parallel_for(0, a.N * H, row_grain(W), [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) {
      const int64_t n = row / H, y = row % H;
      const scalar_t* fl = vflow + n * 3 * HW;
      for (int64_t x = 0; x < W; ++x) {
        const int64_t p = y * W + x;
        const scalar_t w = scalar_t(0.5) * (scalar_t(1) + fl[2 * HW + p]);
        Bilinear<scalar_t, BORDER> s0, s1;
        s0.setup(x + a0 * fl[p], y + a0 * fl[HW + p], H, W);
        s1.setup(x + a1 * fl[p], y + a1 * fl[HW + p], H, W);
        for (int64_t c = 0; c < C; ++c) {
          const int64_t plane = (n * C + c) * HW;
          out[plane + p] = w * s0.sample(img0 + plane) +
                           (scalar_t(1) - w) * s1.sample(img1 + plane);
        }
      }
    }
  });
}

// Backward of pixel (n, y, x) over channels [c_begin, c_end): DO_FLOW writes
// its (Fx, Fy, m) gradient (needs all channels), DO_IMG scatters into the
// image gradients of those channels.
template <typename scalar_t, bool BORDER, bool DO_FLOW, bool DO_IMG>
inline void generic_backward_pixel(const scalar_t* grad_out,
                                   const scalar_t* img0, const scalar_t* img1,
                                   const scalar_t* vflow, scalar_t* g_img0,
                                   scalar_t* g_img1, scalar_t* g_flow,
                                   const Args& a, int64_t n, int64_t y,
                                   int64_t x, int64_t c_begin, int64_t c_end) {
  const int64_t C = a.C, H = a.H, W = a.W, HW = H * W, p = y * W + x;
  const scalar_t a0 = scalar_t(a.a0), a1 = scalar_t(a.a1);
  const scalar_t* fl = vflow + n * 3 * HW;
  const scalar_t w = scalar_t(0.5) * (scalar_t(1) + fl[2 * HW + p]);
  const scalar_t w1 = scalar_t(1) - w;
  Bilinear<scalar_t, BORDER> s0, s1;
  s0.setup(x + a0 * fl[p], y + a0 * fl[HW + p], H, W);
  s1.setup(x + a1 * fl[p], y + a1 * fl[HW + p], H, W);
  scalar_t gm = 0, gx0 = 0, gy0 = 0, gx1 = 0, gy1 = 0;
  for (int64_t c = c_begin; c < c_end; ++c) {
    const int64_t plane = (n * C + c) * HW;
    const scalar_t g = grad_out[plane + p];
    if (DO_FLOW) {
      scalar_t v0, dx0, dy0, v1, dx1, dy1;
      s0.sample_with_grad(img0 + plane, &v0, &dx0, &dy0);
      s1.sample_with_grad(img1 + plane, &v1, &dx1, &dy1);
      gm += g * (v0 - v1);
      gx0 += g * dx0;
      gy0 += g * dy0;
      gx1 += g * dx1;
      gy1 += g * dy1;
    }
    if (DO_IMG) {
      s0.scatter(g_img0 + plane, g * w);
      s1.scatter(g_img1 + plane, g * w1);
    }
  }
  if (DO_FLOW) {
    scalar_t* gf = g_flow + n * 3 * HW;
    gf[p] = a0 * w * gx0 * s0.gx_mult + a1 * w1 * gx1 * s1.gx_mult;
    gf[HW + p] = a0 * w * gy0 * s0.gy_mult + a1 * w1 * gy1 * s1.gy_mult;
    gf[2 * HW + p] = scalar_t(0.5) * gm;
  }
}

template <typename scalar_t, bool BORDER>
void generic_backward(const scalar_t* go, const scalar_t* i0,
                      const scalar_t* i1, const scalar_t* fl, scalar_t* gi0,
                      scalar_t* gi1, scalar_t* gf, const Args& a,
                      bool need_img) {
  const int64_t N = a.N, C = a.C, H = a.H, W = a.W;
  if (need_img && N >= at::get_num_threads()) {
    at::parallel_for(0, N, 1, [&](int64_t begin, int64_t end) {
      for (int64_t n = begin; n < end; ++n)
        for (int64_t y = 0; y < H; ++y)
          for (int64_t x = 0; x < W; ++x)
            generic_backward_pixel<scalar_t, BORDER, true, true>(
                go, i0, i1, fl, gi0, gi1, gf, a, n, y, x, 0, C);
    });
    return;
  }
  at::parallel_for(0, N * H, row_grain(W), [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row)
      for (int64_t x = 0; x < W; ++x)
        generic_backward_pixel<scalar_t, BORDER, true, false>(
            go, i0, i1, fl, gi0, gi1, gf, a, row / H, row % H, x, 0, C);
  });
  if (!need_img) return;
  at::parallel_for(0, N * C, 1, [&](int64_t begin, int64_t end) {
    for (int64_t nc = begin; nc < end; ++nc)
      for (int64_t y = 0; y < H; ++y)
        for (int64_t x = 0; x < W; ++x)
          generic_backward_pixel<scalar_t, BORDER, false, true>(
              go, i0, i1, fl, gi0, gi1, gf, a, nc / C, y, x, nc % C,
              nc % C + 1);
  });
}

#if VF_PAIR_PATH
// ---------------------------------------------------------------------------
// Pair fast path (float32, SSE2, H >= 2 and W >= 2).
// ---------------------------------------------------------------------------

// Plan of one image row for one frame: per pixel the offset of the 2x2
// block's top-left pixel and the block's 4 bilinear weights (lanes: top-left,
// top-right, bottom-left, bottom-right), scaled by a blend factor. FULL adds
// the weights of d/dx and d/dy and the clamp multipliers. Buffers are padded
// to a multiple of 4 pixels.
struct PairPlan {
  std::vector<int32_t> base;
  // AoS (4 lanes per pixel) weights scaled by the blend factor.
  std::vector<float> wv;
  // FULL: per-axis weights and d/dp weights (structure of arrays: block
  // column 0 / 1 and row 0 / 1) and the clamp multipliers.
  std::vector<float> xw0, xw1, xd0, xd1, yw0, yw1, yd0, yd1, mx, my;
  PairPlan(int64_t W, bool full)
      : base(pad4(W)), wv(4 * pad4(W)) {
    if (full) {
      for (auto* v : {&xw0, &xw1, &xd0, &xd1, &yw0, &yw1, &yd0, &yd1, &mx,
                      &my})
        v->resize(pad4(W));
    }
  }
  static int64_t pad4(int64_t W) { return (W + 3) / 4 * 4; }
};

inline __m128 floor_ps(__m128 v) {
  // Inputs are limited to a small range around the frame, so the int32
  // round trip is exact.
  const __m128 t = _mm_cvtepi32_ps(_mm_cvttps_epi32(v));
  return _mm_sub_ps(t, _mm_and_ps(_mm_cmplt_ps(v, t), _mm_set1_ps(1.f)));
}

inline void store_transposed(__m128 r0, __m128 r1, __m128 r2, __m128 r3,
                             float* out) {
  _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
  _mm_storeu_ps(out, r0);
  _mm_storeu_ps(out + 4, r1);
  _mm_storeu_ps(out + 8, r2);
  _mm_storeu_ps(out + 12, r3);
}

// Weights of the 2 block columns (or rows) for clamped positions p: the
// block starts at s = clamp(floor(p), 0, size - 2); column s + j is the
// bilinear cell's left corner when s + j == floor(p), its right corner when
// s + j == floor(p) + 1 and outside the cell otherwise, which handles both
// padding modes. Also returns the block start and the d/dp weights.
struct AxisWeights {
  __m128 start, w0, w1, d0, d1;
};

inline AxisWeights axis_weights(__m128 p, __m128 hi_start) {
  const __m128 one = _mm_set1_ps(1.f);
  const __m128 ip = floor_ps(p);
  const __m128 t = _mm_sub_ps(p, ip);
  const __m128 u = _mm_sub_ps(one, t);
  const __m128 st = _mm_min_ps(_mm_max_ps(ip, _mm_setzero_ps()), hi_start);
  const __m128 d = _mm_sub_ps(st, ip);  // in {-1, 0, 1} when it matters
  const __m128 m = _mm_and_ps(_mm_cmpeq_ps(d, _mm_set1_ps(-1.f)), one);
  const __m128 z = _mm_and_ps(_mm_cmpeq_ps(d, _mm_setzero_ps()), one);
  const __m128 q = _mm_and_ps(_mm_cmpeq_ps(d, one), one);
  AxisWeights r;
  r.start = st;
  r.w0 = _mm_add_ps(_mm_mul_ps(z, u), _mm_mul_ps(q, t));
  r.w1 = _mm_add_ps(_mm_mul_ps(m, u), _mm_mul_ps(z, t));
  r.d0 = _mm_sub_ps(q, z);
  r.d1 = _mm_sub_ps(z, m);
  return r;
}

// The weights are scaled by (boff + bsign * blend[x]): (0, 1) for I0,
// (1, -1) for I1, (1, 0) for unscaled weights. Needs H * W < 2^24 (block
// offsets are computed in float).
template <bool BORDER, bool FULL>
void plan_pair_row(const float* fx, const float* fy, int y, float a, int H,
                   int W, const float* blend, float boff, float bsign,
                   PairPlan& plan) {
  const __m128 one = _mm_set1_ps(1.f), zero = _mm_setzero_ps();
  const __m128 va = _mm_set1_ps(a), vy = _mm_set1_ps(float(y));
  const __m128 hi_x = _mm_set1_ps(float(BORDER ? W - 1 : W + 1));
  const __m128 hi_y = _mm_set1_ps(float(BORDER ? H - 1 : H + 1));
  const __m128 lo = _mm_set1_ps(BORDER ? 0.f : -2.f);
  const __m128 st_x = _mm_set1_ps(float(W - 2)), st_y = _mm_set1_ps(float(H - 2));
  const __m128 vW = _mm_set1_ps(float(W));
  const __m128 vboff = _mm_set1_ps(boff), vbsign = _mm_set1_ps(bsign);
  const __m128 iota = _mm_setr_ps(0.f, 1.f, 2.f, 3.f);
  for (int x = 0; x < W; x += 4) {
    __m128 vfx, vfy, vbl;
    if (x + 4 <= W) {
      vfx = _mm_loadu_ps(fx + x);
      vfy = _mm_loadu_ps(fy + x);
      vbl = _mm_loadu_ps(blend + x);
    } else {  // tail: pad with zeros
      float tx_[4] = {0, 0, 0, 0}, ty_[4] = {0, 0, 0, 0},
            tb_[4] = {0, 0, 0, 0};
      for (int k = 0; x + k < W; ++k) {
        tx_[k] = fx[x + k];
        ty_[k] = fy[x + k];
        tb_[k] = blend[x + k];
      }
      vfx = _mm_loadu_ps(tx_);
      vfy = _mm_loadu_ps(ty_);
      vbl = _mm_loadu_ps(tb_);
    }
    __m128 px = _mm_add_ps(_mm_add_ps(_mm_set1_ps(float(x)), iota),
                           _mm_mul_ps(va, vfx));
    __m128 py = _mm_add_ps(vy, _mm_mul_ps(va, vfy));
    __m128 gmx = one, gmy = one;
    if (BORDER) {
      // The border itself counts as outside for the gradient, as in
      // grid_sample.
      gmx = _mm_and_ps(_mm_and_ps(_mm_cmpgt_ps(px, zero),
                                  _mm_cmplt_ps(px, hi_x)), one);
      gmy = _mm_and_ps(_mm_and_ps(_mm_cmpgt_ps(py, zero),
                                  _mm_cmplt_ps(py, hi_y)), one);
    }
    // _mm_max_ps returns its second operand for NaN: NaN becomes `lo`.
    // 'zeros': beyond one pixel outside the frame every corner is out.
    px = _mm_min_ps(_mm_max_ps(px, lo), hi_x);
    py = _mm_min_ps(_mm_max_ps(py, lo), hi_y);
    const AxisWeights ax = axis_weights(px, st_x);
    const AxisWeights ay = axis_weights(py, st_y);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(&plan.base[x]),
                     _mm_cvttps_epi32(_mm_add_ps(_mm_mul_ps(ay.start, vW),
                                                 ax.start)));
    const __m128 bw = _mm_add_ps(vboff, _mm_mul_ps(vbsign, vbl));
    const __m128 ay0 = _mm_mul_ps(ay.w0, bw), ay1 = _mm_mul_ps(ay.w1, bw);
    store_transposed(_mm_mul_ps(ax.w0, ay0), _mm_mul_ps(ax.w1, ay0),
                     _mm_mul_ps(ax.w0, ay1), _mm_mul_ps(ax.w1, ay1),
                     &plan.wv[4 * x]);
    if (FULL) {
      _mm_storeu_ps(&plan.xw0[x], ax.w0);
      _mm_storeu_ps(&plan.xw1[x], ax.w1);
      _mm_storeu_ps(&plan.xd0[x], ax.d0);
      _mm_storeu_ps(&plan.xd1[x], ax.d1);
      _mm_storeu_ps(&plan.yw0[x], ay.w0);
      _mm_storeu_ps(&plan.yw1[x], ay.w1);
      _mm_storeu_ps(&plan.yd0[x], ay.d0);
      _mm_storeu_ps(&plan.yd1[x], ay.d1);
      _mm_storeu_ps(&plan.mx[x], gmx);
      _mm_storeu_ps(&plan.my[x], gmy);
    }
  }
}

// The 2x2 block at plane + base as (tl, tr, bl, br).
inline __m128 load_block(const float* plane, int32_t base, int64_t W) {
  const __m128 top = _mm_loadl_pi(_mm_setzero_ps(),
                                  reinterpret_cast<const __m64*>(plane + base));
  return _mm_loadh_pi(top, reinterpret_cast<const __m64*>(plane + base + W));
}

// Adds the 4 lanes of v to the 2x2 block. Neighbouring pixels' blocks
// overlap by one column, so 64-bit read-modify-writes would defeat
// store-to-load forwarding; single-float ones forward fine (explicit scalar
// intrinsics keep the compiler from merging them back).
inline void add_lane(float* p, __m128 v) {
  _mm_store_ss(p, _mm_add_ss(_mm_load_ss(p), v));
}

inline void add_block(float* plane, int32_t base, int64_t W, __m128 v) {
  float* top = plane + base;
  float* bot = top + W;
  add_lane(top, v);
  add_lane(top + 1, _mm_shuffle_ps(v, v, _MM_SHUFFLE(1, 1, 1, 1)));
  add_lane(bot, _mm_shuffle_ps(v, v, _MM_SHUFFLE(2, 2, 2, 2)));
  add_lane(bot + 1, _mm_shuffle_ps(v, v, _MM_SHUFFLE(3, 3, 3, 3)));
}

inline float hsum(__m128 v) {
  const __m128 s = _mm_add_ps(v, _mm_movehl_ps(v, v));
  return _mm_cvtss_f32(_mm_add_ss(s, _mm_shuffle_ps(s, s, 1)));
}

// Blend factor of I0 for the row, w = (1 + m) / 2.
inline void row_blend(const float* fm, int W, float* w) {
  for (int x = 0; x < W; ++x) w[x] = 0.5f * (1.f + fm[x]);
}

template <bool BORDER>
void pair_forward(const float* img0, const float* img1, const float* vflow,
                  float* out, const Args& a) {
  const int64_t C = a.C, H = a.H, W = a.W, HW = H * W;
  at::parallel_for(0, a.N * H, row_grain(W), [&](int64_t begin, int64_t end) {
    PairPlan p0(W, false), p1(W, false);
    std::vector<float> blend(W);
    for (int64_t row = begin; row < end; ++row) {
      const int64_t n = row / H, y = row % H;
      const float* fx = vflow + n * 3 * HW + y * W;
      // The blend is folded into the weights once for all channels.
      row_blend(fx + 2 * HW, int(W), blend.data());
      plan_pair_row<BORDER, false>(fx, fx + HW, int(y), float(a.a0), int(H),
                                   int(W), blend.data(), 0.f, 1.f, p0);
      plan_pair_row<BORDER, false>(fx, fx + HW, int(y), float(a.a1), int(H),
                                   int(W), blend.data(), 1.f, -1.f, p1);
      for (int64_t c = 0; c < C; ++c) {
        const int64_t plane = (n * C + c) * HW;
        const float* P0 = img0 + plane;
        const float* P1 = img1 + plane;
        float* o = out + plane + y * W;
        int64_t x = 0;
        for (; x + 4 <= W; x += 4) {
          __m128 r[4];
          for (int k = 0; k < 4; ++k) {
            const int64_t xx = x + k;
            r[k] = _mm_add_ps(
                _mm_mul_ps(load_block(P0, p0.base[xx], W),
                           _mm_loadu_ps(&p0.wv[4 * xx])),
                _mm_mul_ps(load_block(P1, p1.base[xx], W),
                           _mm_loadu_ps(&p1.wv[4 * xx])));
          }
          _MM_TRANSPOSE4_PS(r[0], r[1], r[2], r[3]);
          _mm_storeu_ps(o + x, _mm_add_ps(_mm_add_ps(r[0], r[1]),
                                          _mm_add_ps(r[2], r[3])));
        }
        for (; x < W; ++x) {
          o[x] = hsum(_mm_add_ps(_mm_mul_ps(load_block(P0, p0.base[x], W),
                                            _mm_loadu_ps(&p0.wv[4 * x])),
                                 _mm_mul_ps(load_block(P1, p1.base[x], W),
                                            _mm_loadu_ps(&p1.wv[4 * x]))));
        }
      }
    }
  });
}

struct PairBackwardPtrs {
  const float *go, *i0, *i1, *fl;
  float *gi0, *gi1, *gf;
};

// Value, d/dx and d/dy of bilinear sampling for 4 pixels, from their
// (grad-weighted) 2x2 blocks q[k] = (tl, tr, bl, br) and the plan's axis
// weights at pixel x.
inline void block_dots(__m128 q0, __m128 q1, __m128 q2, __m128 q3,
                       const PairPlan& pl, int64_t x, __m128* v, __m128* dx,
                       __m128* dy) {
  _MM_TRANSPOSE4_PS(q0, q1, q2, q3);  // now tl, tr, bl, br of 4 pixels
  const __m128 xw0 = _mm_loadu_ps(&pl.xw0[x]), xw1 = _mm_loadu_ps(&pl.xw1[x]);
  const __m128 xd0 = _mm_loadu_ps(&pl.xd0[x]), xd1 = _mm_loadu_ps(&pl.xd1[x]);
  const __m128 yw0 = _mm_loadu_ps(&pl.yw0[x]), yw1 = _mm_loadu_ps(&pl.yw1[x]);
  const __m128 yd0 = _mm_loadu_ps(&pl.yd0[x]), yd1 = _mm_loadu_ps(&pl.yd1[x]);
  const __m128 top = _mm_add_ps(_mm_mul_ps(xw0, q0), _mm_mul_ps(xw1, q1));
  const __m128 bot = _mm_add_ps(_mm_mul_ps(xw0, q2), _mm_mul_ps(xw1, q3));
  const __m128 dtop = _mm_add_ps(_mm_mul_ps(xd0, q0), _mm_mul_ps(xd1, q1));
  const __m128 dbot = _mm_add_ps(_mm_mul_ps(xd0, q2), _mm_mul_ps(xd1, q3));
  *v = _mm_add_ps(_mm_mul_ps(yw0, top), _mm_mul_ps(yw1, bot));
  *dx = _mm_add_ps(_mm_mul_ps(yw0, dtop), _mm_mul_ps(yw1, dbot));
  *dy = _mm_add_ps(_mm_mul_ps(yd0, top), _mm_mul_ps(yd1, bot));
}

// Rows [begin, end) (row = n * H + y): flow gradients, and with SCATTER the
// image gradients of all channels (the caller owns those samples). Channel
// by channel (few memory streams at a time), sum_c grad_out * block is
// accumulated per pixel; then it is dotted with the weights, 4 pixels at a
// time.
template <bool BORDER, bool SCATTER>
void pair_backward_rows(const PairBackwardPtrs& ptr, const Args& a,
                        int64_t begin, int64_t end) {
  const int64_t C = a.C, H = a.H, W = a.W, HW = H * W;
  const int64_t Wp = PairPlan::pad4(W);
  const float a0 = float(a.a0), a1 = float(a.a1);
  PairPlan p0(W, true), p1(W, true);
  std::vector<float> blend(Wp, 0.f);
  std::vector<float> acc0(4 * Wp), acc1(4 * Wp);
  for (int64_t row = begin; row < end; ++row) {
    const int64_t n = row / H, y = row % H;
    const float* fx = ptr.fl + n * 3 * HW + y * W;
    row_blend(fx + 2 * HW, int(W), blend.data());
    plan_pair_row<BORDER, true>(fx, fx + HW, int(y), a0, int(H), int(W),
                                blend.data(), 0.f, 1.f, p0);
    plan_pair_row<BORDER, true>(fx, fx + HW, int(y), a1, int(H), int(W),
                                blend.data(), 1.f, -1.f, p1);
    std::fill(acc0.begin(), acc0.end(), 0.f);
    std::fill(acc1.begin(), acc1.end(), 0.f);
    for (int64_t c = 0; c < C; ++c) {
      const int64_t plane = (n * C + c) * HW;
      const float* g = ptr.go + plane + y * W;
      const float* P0 = ptr.i0 + plane;
      const float* P1 = ptr.i1 + plane;
      float* G0 = SCATTER ? ptr.gi0 + plane : nullptr;
      float* G1 = SCATTER ? ptr.gi1 + plane : nullptr;
      for (int64_t x = 0; x < W; ++x) {
        const __m128 gv = _mm_set1_ps(g[x]);
        float* q0 = &acc0[4 * x];
        float* q1 = &acc1[4 * x];
        _mm_storeu_ps(q0, _mm_add_ps(_mm_loadu_ps(q0),
                                     _mm_mul_ps(gv, load_block(P0, p0.base[x], W))));
        _mm_storeu_ps(q1, _mm_add_ps(_mm_loadu_ps(q1),
                                     _mm_mul_ps(gv, load_block(P1, p1.base[x], W))));
        if (SCATTER) {
          add_block(G0, p0.base[x], W,
                    _mm_mul_ps(gv, _mm_loadu_ps(&p0.wv[4 * x])));
          add_block(G1, p1.base[x], W,
                    _mm_mul_ps(gv, _mm_loadu_ps(&p1.wv[4 * x])));
        }
      }
    }
    float* gfx = ptr.gf + n * 3 * HW + y * W;
    for (int64_t x = 0; x < W; x += 4) {
      __m128 v0, dx0, dy0, v1, dx1, dy1;
      const float* q0 = &acc0[4 * x];
      const float* q1 = &acc1[4 * x];
      block_dots(_mm_loadu_ps(q0), _mm_loadu_ps(q0 + 4), _mm_loadu_ps(q0 + 8),
                 _mm_loadu_ps(q0 + 12), p0, x, &v0, &dx0, &dy0);
      block_dots(_mm_loadu_ps(q1), _mm_loadu_ps(q1 + 4), _mm_loadu_ps(q1 + 8),
                 _mm_loadu_ps(q1 + 12), p1, x, &v1, &dx1, &dy1);
      const __m128 w0 = _mm_loadu_ps(&blend[x]);
      const __m128 w1 = _mm_sub_ps(_mm_set1_ps(1.f), w0);
      const __m128 c0 = _mm_mul_ps(_mm_set1_ps(a0), w0);
      const __m128 c1 = _mm_mul_ps(_mm_set1_ps(a1), w1);
      const __m128 gx = _mm_add_ps(
          _mm_mul_ps(_mm_mul_ps(c0, dx0), _mm_loadu_ps(&p0.mx[x])),
          _mm_mul_ps(_mm_mul_ps(c1, dx1), _mm_loadu_ps(&p1.mx[x])));
      const __m128 gy = _mm_add_ps(
          _mm_mul_ps(_mm_mul_ps(c0, dy0), _mm_loadu_ps(&p0.my[x])),
          _mm_mul_ps(_mm_mul_ps(c1, dy1), _mm_loadu_ps(&p1.my[x])));
      const __m128 gm = _mm_mul_ps(_mm_set1_ps(0.5f), _mm_sub_ps(v0, v1));
      if (x + 4 <= W) {
        _mm_storeu_ps(gfx + x, gx);
        _mm_storeu_ps(gfx + HW + x, gy);
        _mm_storeu_ps(gfx + 2 * HW + x, gm);
      } else {
        float out[3][4];
        _mm_storeu_ps(out[0], gx);
        _mm_storeu_ps(out[1], gy);
        _mm_storeu_ps(out[2], gm);
        for (int64_t k = 0; x + k < W; ++k) {
          gfx[x + k] = out[0][k];
          gfx[HW + x + k] = out[1][k];
          gfx[2 * HW + x + k] = out[2][k];
        }
      }
    }
  }
}

// Image gradients of planes [begin, end) (plane = n * C + c).
template <bool BORDER>
void pair_scatter_planes(const PairBackwardPtrs& ptr, const Args& a,
                         int64_t begin, int64_t end) {
  const int64_t C = a.C, H = a.H, W = a.W, HW = H * W;
  PairPlan p0(W, false), p1(W, false);
  std::vector<float> blend(W);
  for (int64_t nc = begin; nc < end; ++nc) {
    const int64_t n = nc / C, plane = nc * HW;
    float* G0 = ptr.gi0 + plane;
    float* G1 = ptr.gi1 + plane;
    for (int64_t y = 0; y < H; ++y) {
      const float* fx = ptr.fl + n * 3 * HW + y * W;
      row_blend(fx + 2 * HW, int(W), blend.data());
      plan_pair_row<BORDER, false>(fx, fx + HW, int(y), float(a.a0), int(H),
                                   int(W), blend.data(), 0.f, 1.f, p0);
      plan_pair_row<BORDER, false>(fx, fx + HW, int(y), float(a.a1), int(H),
                                   int(W), blend.data(), 1.f, -1.f, p1);
      const float* g = ptr.go + plane + y * W;
      for (int64_t x = 0; x < W; ++x) {
        const __m128 gv = _mm_set1_ps(g[x]);
        add_block(G0, p0.base[x], W,
                  _mm_mul_ps(gv, _mm_loadu_ps(&p0.wv[4 * x])));
        add_block(G1, p1.base[x], W,
                  _mm_mul_ps(gv, _mm_loadu_ps(&p1.wv[4 * x])));
      }
    }
  }
}

template <bool BORDER>
void pair_backward(const PairBackwardPtrs& ptr, const Args& a,
                   bool need_img) {
  const int64_t N = a.N, H = a.H;
  if (need_img && N >= at::get_num_threads()) {
    // One fused pass; a sample's scatters stay in its own thread.
    at::parallel_for(0, N, 1, [&](int64_t begin, int64_t end) {
      pair_backward_rows<BORDER, true>(ptr, a, begin * H, end * H);
    });
    return;
  }
  at::parallel_for(0, N * H, row_grain(a.W), [&](int64_t begin, int64_t end) {
    pair_backward_rows<BORDER, false>(ptr, a, begin, end);
  });
  if (!need_img) return;
  at::parallel_for(0, N * a.C, 1, [&](int64_t begin, int64_t end) {
    pair_scatter_planes<BORDER>(ptr, a, begin, end);
  });
}
#endif  // VF_PAIR_PATH

bool use_pair_path(const at::Tensor& img0) {
#if VF_PAIR_PATH
  return img0.scalar_type() == at::kFloat && img0.size(2) >= 2 &&
         img0.size(3) >= 2 && img0.size(2) * img0.size(3) < (1 << 24);
#else
  return false;
#endif
}

void check_inputs(const at::Tensor& img0, const at::Tensor& img1,
                  const at::Tensor& vflow, int64_t padding) {
  TORCH_CHECK(img0.dim() == 4, "voxel_flow: img0 must be (N, C, H, W), got ",
              img0.sizes());
  TORCH_CHECK(img0.sizes() == img1.sizes(),
              "voxel_flow: img0 and img1 differ in shape: ", img0.sizes(),
              " vs ", img1.sizes());
  TORCH_CHECK(vflow.dim() == 4 && vflow.size(0) == img0.size(0) &&
                  vflow.size(1) == 3 && vflow.size(2) == img0.size(2) &&
                  vflow.size(3) == img0.size(3),
              "voxel_flow: the voxel flow must be (N, 3, H, W), got ",
              vflow.sizes(), " for frames ", img0.sizes());
  TORCH_CHECK(img0.scalar_type() == img1.scalar_type() &&
                  img0.scalar_type() == vflow.scalar_type(),
              "voxel_flow: inputs must share a dtype");
  TORCH_CHECK(img0.device() == img1.device() &&
                  img0.device() == vflow.device(),
              "voxel_flow: inputs must be on one device");
  TORCH_CHECK(padding == 0 || padding == 1,
              "voxel_flow: padding must be 0 (border) or 1 (zeros), got ",
              padding);
  TORCH_CHECK(img0.size(2) * img0.size(3) <
                  static_cast<int64_t>(std::numeric_limits<int32_t>::max()),
              "voxel_flow: frames of ", img0.size(2), "x", img0.size(3),
              " exceed 2^31 pixels");
}

}  // namespace

at::Tensor forward(const at::Tensor& img0_, const at::Tensor& img1_,
                   const at::Tensor& vflow_, double a0, double a1,
                   int64_t padding) {
  check_inputs(img0_, img1_, vflow_, padding);
  if (img0_.is_cuda()) {
#ifdef WITH_CUDA
    const c10::cuda::CUDAGuard guard(img0_.device());
    return forward_cuda(img0_, img1_, vflow_, a0, a1, padding,
                        c10::cuda::getCurrentCUDAStream());
#else
    TORCH_CHECK(false, "voxel_flow: built without CUDA");
#endif
  }
  const at::Tensor img0 = img0_.contiguous(), img1 = img1_.contiguous(),
                   vflow = vflow_.contiguous();
  at::Tensor out = at::empty_like(img0);
  if (out.numel() == 0) return out;
  const Args args{img0.size(0), img0.size(1), img0.size(2), img0.size(3),
                  a0, a1};
  const bool border = padding == 0;
#if VF_PAIR_PATH
  if (use_pair_path(img0)) {
    const float* i0 = img0.data_ptr<float>();
    const float* i1 = img1.data_ptr<float>();
    const float* fl = vflow.data_ptr<float>();
    float* o = out.data_ptr<float>();
    if (border)
      pair_forward<true>(i0, i1, fl, o, args);
    else
      pair_forward<false>(i0, i1, fl, o, args);
    return out;
  }
#endif
  AT_DISPATCH_FLOATING_TYPES(img0.scalar_type(), "voxel_flow_forward", [&] {
    const scalar_t* i0 = img0.data_ptr<scalar_t>();
    const scalar_t* i1 = img1.data_ptr<scalar_t>();
    const scalar_t* fl = vflow.data_ptr<scalar_t>();
    scalar_t* o = out.data_ptr<scalar_t>();
    if (border)
      generic_forward<scalar_t, true>(i0, i1, fl, o, args);
    else
      generic_forward<scalar_t, false>(i0, i1, fl, o, args);
  });
  return out;
}

std::vector<at::Tensor> backward(const at::Tensor& grad_out_,
                                 const at::Tensor& img0_,
                                 const at::Tensor& img1_,
                                 const at::Tensor& vflow_, double a0,
                                 double a1, int64_t padding,
                                 bool need_img_grad) {
  check_inputs(img0_, img1_, vflow_, padding);
  TORCH_CHECK(grad_out_.sizes() == img0_.sizes(),
              "voxel_flow: grad_out must be ", img0_.sizes(), ", got ",
              grad_out_.sizes());
  TORCH_CHECK(grad_out_.scalar_type() == img0_.scalar_type(),
              "voxel_flow: grad_out must have the inputs' dtype");
  if (img0_.is_cuda()) {
#ifdef WITH_CUDA
    const c10::cuda::CUDAGuard guard(img0_.device());
    return backward_cuda(grad_out_, img0_, img1_, vflow_, a0, a1, padding,
                         need_img_grad, c10::cuda::getCurrentCUDAStream());
#else
    TORCH_CHECK(false, "voxel_flow: built without CUDA");
#endif
  }
  const at::Tensor grad_out = grad_out_.contiguous(), img0 = img0_.contiguous(),
                   img1 = img1_.contiguous(), vflow = vflow_.contiguous();
  at::Tensor g_flow = at::empty_like(vflow);
  at::Tensor g_img0, g_img1;
  if (need_img_grad) {
    g_img0 = at::zeros_like(img0);
    g_img1 = at::zeros_like(img1);
  }
  if (img0.numel() == 0) return {g_img0, g_img1, g_flow.zero_()};
  const Args args{img0.size(0), img0.size(1), img0.size(2), img0.size(3),
                  a0, a1};
  const bool border = padding == 0;
#if VF_PAIR_PATH
  if (use_pair_path(img0)) {
    const PairBackwardPtrs ptr{
        grad_out.data_ptr<float>(),
        img0.data_ptr<float>(),
        img1.data_ptr<float>(),
        vflow.data_ptr<float>(),
        need_img_grad ? g_img0.data_ptr<float>() : nullptr,
        need_img_grad ? g_img1.data_ptr<float>() : nullptr,
        g_flow.data_ptr<float>()};
    if (border)
      pair_backward<true>(ptr, args, need_img_grad);
    else
      pair_backward<false>(ptr, args, need_img_grad);
    return {g_img0, g_img1, g_flow};
  }
#endif
  AT_DISPATCH_FLOATING_TYPES(img0.scalar_type(), "voxel_flow_backward", [&] {
    const scalar_t* go = grad_out.data_ptr<scalar_t>();
    const scalar_t* i0 = img0.data_ptr<scalar_t>();
    const scalar_t* i1 = img1.data_ptr<scalar_t>();
    const scalar_t* fl = vflow.data_ptr<scalar_t>();
    scalar_t* gi0 = need_img_grad ? g_img0.data_ptr<scalar_t>() : nullptr;
    scalar_t* gi1 = need_img_grad ? g_img1.data_ptr<scalar_t>() : nullptr;
    scalar_t* gf = g_flow.data_ptr<scalar_t>();
    if (border)
      generic_backward<scalar_t, true>(go, i0, i1, fl, gi0, gi1, gf, args,
                                       need_img_grad);
    else
      generic_backward<scalar_t, false>(go, i0, i1, fl, gi0, gi1, gf, args,
                                        need_img_grad);
  });
  return {g_img0, g_img1, g_flow};
}

bool with_cuda() {
#ifdef WITH_CUDA
  return true;
#else
  return false;
#endif
}

// Which CPU path a float32 / float64 call of this size takes (for tests).
std::string cpu_path(const at::Tensor& img0) {
  return use_pair_path(img0) ? "pair" : "generic";
}

}  // namespace voxel_flow
}  // namespace mmvidseg

PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) {
  m.doc() = "mmvidseg voxel-flow layer (CPU kernels, CUDA when compiled in)";
  m.def("forward", &mmvidseg::voxel_flow::forward,
        "voxel flow forward(img0, img1, vflow, a0, a1, padding)");
  m.def("backward", &mmvidseg::voxel_flow::backward,
        "voxel flow backward(grad_out, img0, img1, vflow, a0, a1, padding, "
        "need_img_grad) -> [grad_img0, grad_img1, grad_vflow]");
  m.def("with_cuda", &mmvidseg::voxel_flow::with_cuda,
        "whether the CUDA kernels were compiled in");
  m.def("cpu_path", &mmvidseg::voxel_flow::cpu_path,
        "'pair' or 'generic': the CPU path used for frames like img0");
}
