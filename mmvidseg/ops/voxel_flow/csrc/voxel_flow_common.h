// Copyright (c) OpenMMLab. All rights reserved.
// Bilinear sampling shared by the CPU and CUDA voxel-flow kernels.
//
// Semantics follow torch.nn.functional.grid_sample(mode='bilinear',
// align_corners=False) in pixel space:
//  * BORDER = true ('border'): the position is first clamped into
//    [0, size - 1]; a coordinate on or beyond the border has zero gradient
//    (grid_sample's clip_coordinates_set_grad).
//  * BORDER = false ('zeros'): corners outside the frame read as 0.
// The code is branch-free: every corner index is clamped into the frame so
// that all loads are in bounds, and an out-of-frame corner gets weight 0.
#pragma once

#include <cstdint>

#if defined(__CUDACC__)
#define VF_HOST_DEVICE __host__ __device__ __forceinline__
#define VF_UNROLL _Pragma("unroll")
#else
#define VF_HOST_DEVICE inline
#define VF_UNROLL
#endif

namespace mmvidseg {
namespace voxel_flow {

template <typename T>
VF_HOST_DEVICE T vf_min(T a, T b) {
  return a < b ? a : b;
}

template <typename T>
VF_HOST_DEVICE T vf_max(T a, T b) {
  return a > b ? a : b;
}

template <typename scalar_t, bool BORDER>
struct Bilinear {
  // Corners nw, ne, sw, se: offsets into a plane (always in bounds),
  // interpolation weights (0 for corners outside the frame) and in-frame
  // masks (1 / 0).
  int64_t off[4];
  scalar_t wt[4];
  scalar_t in[4];
  scalar_t tx, ty;
  // d(position used) / d(position asked): 0 where 'border' clamped it.
  scalar_t gx_mult, gy_mult;

  VF_HOST_DEVICE static scalar_t clamp_border(scalar_t v, scalar_t hi,
                                              scalar_t* mult) {
    // Like grid_sample, the border itself counts as outside for the
    // gradient.
    *mult = (v > scalar_t(0) && v < hi) ? scalar_t(1) : scalar_t(0);
    // NaN-safe: a NaN position becomes 0.
    return v > scalar_t(0) ? (v < hi ? v : hi) : scalar_t(0);
  }

  // Floor of v, for v already limited to a small range around the frame.
  VF_HOST_DEVICE static int floor_int(scalar_t v) {
    const int i = static_cast<int>(v);
    return i - (v < static_cast<scalar_t>(i) ? 1 : 0);
  }

  VF_HOST_DEVICE void setup(scalar_t x, scalar_t y, int H, int W) {
    if (BORDER) {
      x = clamp_border(x, scalar_t(W - 1), &gx_mult);
      y = clamp_border(y, scalar_t(H - 1), &gy_mult);
    } else {
      // Beyond one pixel outside the frame every corner is out; limiting
      // the range keeps the int conversion defined (NaN -> -2).
      gx_mult = scalar_t(1);
      gy_mult = scalar_t(1);
      x = x > scalar_t(-2) ? (x < scalar_t(W + 1) ? x : scalar_t(W + 1))
                           : scalar_t(-2);
      y = y > scalar_t(-2) ? (y < scalar_t(H + 1) ? y : scalar_t(H + 1))
                           : scalar_t(-2);
    }
    const int x0 = floor_int(x), y0 = floor_int(y);
    tx = x - scalar_t(x0);
    ty = y - scalar_t(y0);
    const int x1 = x0 + 1, y1 = y0 + 1;
    scalar_t in_x0 = 1, in_x1 = 1, in_y0 = 1, in_y1 = 1;
    if (!BORDER) {
      in_x0 = (x0 >= 0 && x0 < W) ? scalar_t(1) : scalar_t(0);
      in_x1 = (x1 >= 0 && x1 < W) ? scalar_t(1) : scalar_t(0);
      in_y0 = (y0 >= 0 && y0 < H) ? scalar_t(1) : scalar_t(0);
      in_y1 = (y1 >= 0 && y1 < H) ? scalar_t(1) : scalar_t(0);
    }
    // With 'border', x1 may be W only when tx == 0: clamping its index
    // reads a valid pixel with weight 0.
    const int64_t cx0 = vf_min(vf_max(x0, 0), W - 1);
    const int64_t cx1 = vf_min(vf_max(x1, 0), W - 1);
    const int64_t cy0 = vf_min(vf_max(y0, 0), H - 1);
    const int64_t cy1 = vf_min(vf_max(y1, 0), H - 1);
    off[0] = cy0 * W + cx0;
    off[1] = cy0 * W + cx1;
    off[2] = cy1 * W + cx0;
    off[3] = cy1 * W + cx1;
    in[0] = in_x0 * in_y0;
    in[1] = in_x1 * in_y0;
    in[2] = in_x0 * in_y1;
    in[3] = in_x1 * in_y1;
    wt[0] = (scalar_t(1) - tx) * (scalar_t(1) - ty) * in[0];
    wt[1] = tx * (scalar_t(1) - ty) * in[1];
    wt[2] = (scalar_t(1) - tx) * ty * in[2];
    wt[3] = tx * ty * in[3];
  }

  VF_HOST_DEVICE scalar_t sample(const scalar_t* plane) const {
    return wt[0] * plane[off[0]] + wt[1] * plane[off[1]] +
           wt[2] * plane[off[2]] + wt[3] * plane[off[3]];
  }

  // Value and its derivatives w.r.t. the (clamped) sample position.
  VF_HOST_DEVICE void sample_with_grad(const scalar_t* plane, scalar_t* v,
                                       scalar_t* dx, scalar_t* dy) const {
    scalar_t nw = plane[off[0]], ne = plane[off[1]], sw = plane[off[2]],
             se = plane[off[3]];
    if (!BORDER) {
      nw *= in[0];
      ne *= in[1];
      sw *= in[2];
      se *= in[3];
    }
    const scalar_t ux = scalar_t(1) - tx, uy = scalar_t(1) - ty;
    *v = ux * uy * nw + tx * uy * ne + ux * ty * sw + tx * ty * se;
    *dx = uy * (ne - nw) + ty * (se - sw);
    *dy = ux * (sw - nw) + tx * (se - ne);
  }

#if !defined(__CUDACC__)
  // Host-side scatter of g * weight into the corners (caller owns plane).
  inline void scatter(scalar_t* plane, scalar_t g) const {
    plane[off[0]] += g * wt[0];
    plane[off[1]] += g * wt[1];
    plane[off[2]] += g * wt[2];
    plane[off[3]] += g * wt[3];
  }
#endif
};

}  // namespace voxel_flow
}  // namespace mmvidseg
