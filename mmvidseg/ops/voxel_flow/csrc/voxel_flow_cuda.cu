// Copyright (c) OpenMMLab. All rights reserved.
// Voxel-flow layer: CUDA kernels (compiled only with -DWITH_CUDA).
//
// One thread per output pixel (n, y, x), looping over the channels, so the
// two bilinear set-ups are shared by all channels.
//
// Backward: the (Fx, Fy, m) gradient of a pixel depends only on that pixel
// and is written without atomics. The image gradients are scatters to the
// four corners around data-dependent sample positions: several output
// pixels may sample the same input pixel (any converging flow does), and
// the inverse of the sampling map is unknown, so a gather formulation is not
// possible. These use atomicAdd, as grid_sample's own backward does; for
// float the additions commute up to rounding, so results are deterministic
// to about 1e-6 relative, not bitwise.
#ifdef WITH_CUDA
// The caller (voxel_flow.cpp) sets the device guard and passes the current
// stream, so this file needs no c10/cuda headers.
#include <ATen/ATen.h>
#include <ATen/Dispatch.h>
#include <ATen/cuda/Atomic.cuh>
#include <cuda_runtime.h>

#include <vector>

#include "voxel_flow_common.h"

namespace mmvidseg {
namespace voxel_flow {

namespace {

constexpr int kThreads = 256;

inline int64_t num_blocks(int64_t n) {
  return (n + kThreads - 1) / kThreads;
}

template <typename scalar_t, bool BORDER>
__global__ void forward_kernel(const scalar_t* __restrict__ img0,
                               const scalar_t* __restrict__ img1,
                               const scalar_t* __restrict__ vflow,
                               scalar_t* __restrict__ out, int64_t N,
                               int64_t C, int64_t H, int64_t W, scalar_t a0,
                               scalar_t a1) {
  const int64_t HW = H * W;
  const int64_t total = N * HW;
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < total;
       i += (int64_t)blockDim.x * gridDim.x) {
    const int64_t n = i / HW, p = i % HW;
    const int64_t y = p / W, x = p % W;
    const scalar_t* fl = vflow + n * 3 * HW;
    const scalar_t fx = fl[p], fy = fl[HW + p], m = fl[2 * HW + p];
    const scalar_t w = scalar_t(0.5) * (scalar_t(1) + m);
    Bilinear<scalar_t, BORDER> s0, s1;
    s0.setup(x + a0 * fx, y + a0 * fy, int(H), int(W));
    s1.setup(x + a1 * fx, y + a1 * fy, int(H), int(W));
    for (int64_t c = 0; c < C; ++c) {
      const int64_t plane = (n * C + c) * HW;
      out[plane + p] = w * s0.sample(img0 + plane) +
                       (scalar_t(1) - w) * s1.sample(img1 + plane);
    }
  }
}

// Corners outside the frame have weight 0 (and an in-frame offset): skip them.
template <typename scalar_t, bool BORDER>
__device__ __forceinline__ void atomic_scatter(
    const Bilinear<scalar_t, BORDER>& s, scalar_t* plane, scalar_t g) {
#pragma unroll
  for (int k = 0; k < 4; ++k)
    if (s.in[k] != scalar_t(0)) gpuAtomicAdd(plane + s.off[k], g * s.wt[k]);
}

template <typename scalar_t, bool BORDER>
__global__ void backward_kernel(
    const scalar_t* __restrict__ grad_out, const scalar_t* __restrict__ img0,
    const scalar_t* __restrict__ img1, const scalar_t* __restrict__ vflow,
    scalar_t* __restrict__ g_img0, scalar_t* __restrict__ g_img1,
    scalar_t* __restrict__ g_flow, int64_t N, int64_t C, int64_t H, int64_t W,
    scalar_t a0, scalar_t a1, bool need_img) {
  const int64_t HW = H * W;
  const int64_t total = N * HW;
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < total;
       i += (int64_t)blockDim.x * gridDim.x) {
    const int64_t n = i / HW, p = i % HW;
    const int64_t y = p / W, x = p % W;
    const scalar_t* fl = vflow + n * 3 * HW;
    const scalar_t fx = fl[p], fy = fl[HW + p], m = fl[2 * HW + p];
    const scalar_t w = scalar_t(0.5) * (scalar_t(1) + m);
    const scalar_t w1 = scalar_t(1) - w;
    Bilinear<scalar_t, BORDER> s0, s1;
    s0.setup(x + a0 * fx, y + a0 * fy, int(H), int(W));
    s1.setup(x + a1 * fx, y + a1 * fy, int(H), int(W));
    scalar_t gm = 0, gx0 = 0, gy0 = 0, gx1 = 0, gy1 = 0;
    for (int64_t c = 0; c < C; ++c) {
      const int64_t plane = (n * C + c) * HW;
      const scalar_t g = grad_out[plane + p];
      scalar_t v0, dx0, dy0, v1, dx1, dy1;
      s0.sample_with_grad(img0 + plane, &v0, &dx0, &dy0);
      s1.sample_with_grad(img1 + plane, &v1, &dx1, &dy1);
      gm += g * (v0 - v1);
      gx0 += g * dx0;
      gy0 += g * dy0;
      gx1 += g * dx1;
      gy1 += g * dy1;
      if (need_img) {
        atomic_scatter(s0, g_img0 + plane, g * w);
        atomic_scatter(s1, g_img1 + plane, g * w1);
      }
    }
    scalar_t* gf = g_flow + n * 3 * HW;
    gf[p] = a0 * w * gx0 * s0.gx_mult + a1 * w1 * gx1 * s1.gx_mult;
    gf[HW + p] = a0 * w * gy0 * s0.gy_mult + a1 * w1 * gy1 * s1.gy_mult;
    gf[2 * HW + p] = scalar_t(0.5) * gm;
  }
}

inline int grid_size(int64_t total) {
  const int64_t max_blocks = 65535LL * 8;
  const int64_t b = num_blocks(total);
  return static_cast<int>(b < max_blocks ? (b > 0 ? b : 1) : max_blocks);
}

}  // namespace

inline void check_launch(const char* what) {
  const cudaError_t err = cudaGetLastError();
  TORCH_CHECK(err == cudaSuccess, "voxel_flow: ", what, " failed: ",
              cudaGetErrorString(err));
}

at::Tensor forward_cuda(const at::Tensor& img0_, const at::Tensor& img1_,
                        const at::Tensor& vflow_, double a0, double a1,
                        int64_t padding, cudaStream_t stream) {
  TORCH_CHECK(img1_.is_cuda() && vflow_.is_cuda(),
              "voxel_flow: all inputs must be CUDA tensors");
  const at::Tensor img0 = img0_.contiguous(), img1 = img1_.contiguous(),
                   vflow = vflow_.contiguous();
  at::Tensor out = at::empty_like(img0);
  const int64_t N = img0.size(0), C = img0.size(1), H = img0.size(2),
                W = img0.size(3);
  const int64_t total = N * H * W;
  if (total == 0) return out;
  AT_DISPATCH_FLOATING_TYPES(
      img0.scalar_type(), "voxel_flow_forward_cuda", [&] {
        const scalar_t* i0 = img0.data_ptr<scalar_t>();
        const scalar_t* i1 = img1.data_ptr<scalar_t>();
        const scalar_t* fl = vflow.data_ptr<scalar_t>();
        scalar_t* o = out.data_ptr<scalar_t>();
        if (padding == 0)
          forward_kernel<scalar_t, true>
              <<<grid_size(total), kThreads, 0, stream>>>(
                  i0, i1, fl, o, N, C, H, W, scalar_t(a0), scalar_t(a1));
        else
          forward_kernel<scalar_t, false>
              <<<grid_size(total), kThreads, 0, stream>>>(
                  i0, i1, fl, o, N, C, H, W, scalar_t(a0), scalar_t(a1));
      });
  check_launch("forward kernel");
  return out;
}

std::vector<at::Tensor> backward_cuda(const at::Tensor& grad_out_,
                                      const at::Tensor& img0_,
                                      const at::Tensor& img1_,
                                      const at::Tensor& vflow_, double a0,
                                      double a1, int64_t padding,
                                      bool need_img_grad,
                                      cudaStream_t stream) {
  TORCH_CHECK(grad_out_.is_cuda() && img1_.is_cuda() && vflow_.is_cuda(),
              "voxel_flow: all inputs must be CUDA tensors");
  const at::Tensor grad_out = grad_out_.contiguous(),
                   img0 = img0_.contiguous(), img1 = img1_.contiguous(),
                   vflow = vflow_.contiguous();
  at::Tensor g_flow = at::empty_like(vflow);
  at::Tensor g_img0, g_img1;
  if (need_img_grad) {
    g_img0 = at::zeros_like(img0);
    g_img1 = at::zeros_like(img1);
  }
  const int64_t N = img0.size(0), C = img0.size(1), H = img0.size(2),
                W = img0.size(3);
  const int64_t total = N * H * W;
  if (total == 0) return {g_img0, g_img1, g_flow};
  AT_DISPATCH_FLOATING_TYPES(
      img0.scalar_type(), "voxel_flow_backward_cuda", [&] {
        const scalar_t* go = grad_out.data_ptr<scalar_t>();
        const scalar_t* i0 = img0.data_ptr<scalar_t>();
        const scalar_t* i1 = img1.data_ptr<scalar_t>();
        const scalar_t* fl = vflow.data_ptr<scalar_t>();
        scalar_t* gi0 = need_img_grad ? g_img0.data_ptr<scalar_t>() : nullptr;
        scalar_t* gi1 = need_img_grad ? g_img1.data_ptr<scalar_t>() : nullptr;
        scalar_t* gf = g_flow.data_ptr<scalar_t>();
        if (padding == 0)
          backward_kernel<scalar_t, true>
              <<<grid_size(total), kThreads, 0, stream>>>(
                  go, i0, i1, fl, gi0, gi1, gf, N, C, H, W, scalar_t(a0),
                  scalar_t(a1), need_img_grad);
        else
          backward_kernel<scalar_t, false>
              <<<grid_size(total), kThreads, 0, stream>>>(
                  go, i0, i1, fl, gi0, gi1, gf, N, C, H, W, scalar_t(a0),
                  scalar_t(a1), need_img_grad);
      });
  check_launch("backward kernel");
  return {g_img0, g_img1, g_flow};
}

}  // namespace voxel_flow
}  // namespace mmvidseg
#endif  // WITH_CUDA
