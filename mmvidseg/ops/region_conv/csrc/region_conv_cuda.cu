// Copyright (c) OpenMMLab. All rights reserved.
// Region convolution: CUDA kernels (see region_conv.cpp for the layout).
//
// Forward: region im2col kernel (one thread per column element) and cuBLAS
// GEMM through at::mm. Backward: GEMMs, then a region col2im kernel that
// accumulates into the dense input gradient with atomic adds (one thread per
// column element, so the work is proportional to the active pixels only).
// The caller (region_conv.cpp) sets the device and passes the current stream,
// so this file needs only the ATen and CUDA runtime headers.
#ifdef WITH_CUDA
#include <ATen/ATen.h>
#include <ATen/Dispatch.h>
#include <ATen/cuda/Atomic.cuh>
#include <cuda_runtime.h>

#include <algorithm>
#include <optional>
#include <vector>

namespace {

constexpr int kThreads = 256;
// Bytes of the column buffer of one pixel tile.
constexpr int64_t kTileBytes = int64_t(1) << 28;

inline void check_launch(const char* name) {
  const cudaError_t err = cudaGetLastError();
  TORCH_CHECK(err == cudaSuccess, name, " failed: ", cudaGetErrorString(err));
}

inline int num_blocks(int64_t n) {
  return static_cast<int>(
      std::min<int64_t>((n + kThreads - 1) / kThreads, int64_t(1) << 16));
}

// Column element e = r * T + s (r = c * kh * kw + k: input channel c and
// kernel tap k; s: the s-th pixel of the tile starting at j0): the offset
// of the NCHW input element it reads, or -1 where the tap falls in the
// zero padding.
__device__ __forceinline__ int64_t col_source(
    int64_t e, const int64_t* __restrict__ index, int64_t j0, int64_t T,
    int64_t C, int64_t H, int64_t W, int64_t out_h, int64_t out_w,
    int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t ph, int64_t pw,
    int64_t dh, int64_t dw) {
  const int64_t r = e / T;
  const int64_t s = e - r * T;
  const int64_t i = index[j0 + s];
  const int64_t plane = out_h * out_w;
  const int64_t n = i / plane;
  const int64_t p = i - n * plane;
  const int64_t oy = p / out_w;
  const int64_t ox = p - oy * out_w;
  const int64_t kk = kh * kw;
  const int64_t c = r / kk;
  const int64_t k = r - c * kk;
  const int64_t iy = oy * sh - ph + (k / kw) * dh;
  const int64_t ix = ox * sw - pw + (k % kw) * dw;
  return (iy >= 0 && iy < H && ix >= 0 && ix < W)
             ? ((n * C + c) * H + iy) * W + ix
             : -1;
}

// cols (R, T) for pixels [j0, j0 + T); one thread per element.
template <typename scalar_t>
__global__ void region_im2col_kernel(const scalar_t* __restrict__ x,
                                     const int64_t* __restrict__ index,
                                     int64_t j0, int64_t T, int64_t R,
                                     int64_t C, int64_t H, int64_t W,
                                     int64_t out_h, int64_t out_w, int64_t kh,
                                     int64_t kw, int64_t sh, int64_t sw,
                                     int64_t ph, int64_t pw, int64_t dh,
                                     int64_t dw, scalar_t* __restrict__ cols) {
  const int64_t total = R * T;
  for (int64_t e = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; e < total;
       e += int64_t(blockDim.x) * gridDim.x) {
    const int64_t off = col_source(e, index, j0, T, C, H, W, out_h, out_w,
                                   kh, kw, sh, sw, ph, pw, dh, dw);
    cols[e] = off >= 0 ? x[off] : scalar_t(0);
  }
}

// grad_x += col2im(gcols (R, T)); one thread per column element.
template <typename scalar_t>
__global__ void region_col2im_kernel(const scalar_t* __restrict__ gcols,
                                     const int64_t* __restrict__ index,
                                     int64_t j0, int64_t T, int64_t R,
                                     int64_t C, int64_t H, int64_t W,
                                     int64_t out_h, int64_t out_w, int64_t kh,
                                     int64_t kw, int64_t sh, int64_t sw,
                                     int64_t ph, int64_t pw, int64_t dh,
                                     int64_t dw, scalar_t* __restrict__ gx) {
  const int64_t total = R * T;
  for (int64_t e = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; e < total;
       e += int64_t(blockDim.x) * gridDim.x) {
    const int64_t off = col_source(e, index, j0, T, C, H, W, out_h, out_w,
                                   kh, kw, sh, sw, ph, pw, dh, dw);
    if (off >= 0) gpuAtomicAdd(gx + off, gcols[e]);
  }
}

// Element strides of a 4-D tensor (NCHW or channels-last storage).
struct Strides {
  int64_t n, c, h, w;
};

template <typename scalar_t>
__global__ void gather_kernel(const scalar_t* __restrict__ x,
                              const int64_t* __restrict__ index, int64_t K,
                              int64_t C, int64_t HW, int64_t W, Strides st,
                              scalar_t* __restrict__ out) {
  const int64_t total = K * C;
  for (int64_t e = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; e < total;
       e += int64_t(blockDim.x) * gridDim.x) {
    const int64_t j = e / C;
    const int64_t c = e - j * C;
    const int64_t i = index[j];
    const int64_t n = i / HW;
    const int64_t p = i - n * HW;
    out[e] = x[n * st.n + c * st.c + (p / W) * st.h + (p % W) * st.w];
  }
}

template <typename scalar_t>
__global__ void scatter_kernel(const scalar_t* __restrict__ src,
                               const int64_t* __restrict__ index, int64_t K,
                               int64_t C, int64_t HW, int64_t W, Strides st,
                               scalar_t* __restrict__ out) {
  const int64_t total = K * C;
  for (int64_t e = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; e < total;
       e += int64_t(blockDim.x) * gridDim.x) {
    const int64_t j = e / C;
    const int64_t c = e - j * C;
    const int64_t i = index[j];
    const int64_t n = i / HW;
    const int64_t p = i - n * HW;
    out[n * st.n + c * st.c + (p / W) * st.h + (p % W) * st.w] = src[e];
  }
}

int64_t tile_pixels(int64_t R, int64_t K, int64_t elem_size) {
  const int64_t t = kTileBytes / std::max<int64_t>(R * elem_size, 1);
  return std::max<int64_t>(1, std::min<int64_t>(K, t));
}

}  // namespace

at::Tensor region_conv_forward_cuda(const at::Tensor& input_,
                                    const at::Tensor& index_,
                                    const at::Tensor& weight,
                                    const std::optional<at::Tensor>& bias,
                                    int64_t out_h, int64_t out_w, int64_t sh,
                                    int64_t sw, int64_t ph, int64_t pw,
                                    int64_t dh, int64_t dw,
                                    cudaStream_t stream) {
  const at::Tensor input = input_.contiguous();
  const at::Tensor index = index_.contiguous();
  const int64_t C = input.size(1), H = input.size(2), W = input.size(3);
  const int64_t Cout = weight.size(0), kh = weight.size(2),
                kw = weight.size(3);
  const int64_t R = C * kh * kw;
  const int64_t K = index.numel();
  const at::Tensor w2d = weight.reshape({Cout, R});
  at::Tensor out = at::empty({K, Cout}, input.options());
  if (K == 0) return out;
  const int64_t T = tile_pixels(R, K, input.element_size());
  at::Tensor buf = at::empty({R * T}, input.options());
  AT_DISPATCH_FLOATING_TYPES_AND2(
      at::kHalf, at::kBFloat16, input.scalar_type(), "region_conv_fwd_cuda",
      [&] {
        for (int64_t j0 = 0; j0 < K; j0 += T) {
          const int64_t t = std::min(T, K - j0);
          at::Tensor cols = buf.narrow(0, 0, R * t).view({R, t});
          region_im2col_kernel<scalar_t>
              <<<num_blocks(R * t), kThreads, 0, stream>>>(
                  input.data_ptr<scalar_t>(), index.data_ptr<int64_t>(), j0,
                  t, R, C, H, W, out_h, out_w, kh, kw, sh, sw, ph, pw, dh, dw,
                  cols.data_ptr<scalar_t>());
          check_launch("region_conv kernel");
          at::Tensor dst = out.narrow(0, j0, t);
          if (bias.has_value()) {
            at::addmm_out(dst, bias.value(), cols.t(), w2d.t());
          } else {
            at::mm_out(dst, cols.t(), w2d.t());
          }
        }
      });
  return out;
}

std::vector<at::Tensor> region_conv_backward_cuda(
    const at::Tensor& grad_out_, const at::Tensor& input_,
    const at::Tensor& index_, const at::Tensor& weight, int64_t out_h,
    int64_t out_w, int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t dh,
    int64_t dw, bool need_input, bool need_weight, bool need_bias,
    cudaStream_t stream) {
  const at::Tensor input = input_.contiguous();
  const at::Tensor index = index_.contiguous();
  const at::Tensor grad_out = grad_out_.contiguous();
  const int64_t C = input.size(1), H = input.size(2), W = input.size(3);
  const int64_t Cout = weight.size(0), kh = weight.size(2),
                kw = weight.size(3);
  const int64_t R = C * kh * kw;
  const int64_t K = index.numel();
  TORCH_CHECK(grad_out.dim() == 2 && grad_out.size(0) == K &&
                  grad_out.size(1) == Cout,
              "region_conv: grad_out must be (K, C_out) = (", K, ", ", Cout,
              "), got ", grad_out.sizes());
  const at::Tensor w2d = weight.reshape({Cout, R});
  at::Tensor grad_input = need_input ? at::zeros_like(input) : at::Tensor();
  at::Tensor grad_w2d =
      need_weight ? at::zeros({Cout, R}, input.options()) : at::Tensor();
  at::Tensor grad_bias = need_bias ? grad_out.sum(0) : at::Tensor();
  if (K > 0 && (need_input || need_weight)) {
    const int64_t T = tile_pixels(R, K, input.element_size());
    at::Tensor buf = at::empty({R * T}, input.options());
      AT_DISPATCH_FLOATING_TYPES_AND2(
        at::kHalf, at::kBFloat16, input.scalar_type(), "region_conv_bwd_cuda",
        [&] {
          for (int64_t j0 = 0; j0 < K; j0 += T) {
            const int64_t t = std::min(T, K - j0);
            const at::Tensor g = grad_out.narrow(0, j0, t);
            at::Tensor cols = buf.narrow(0, 0, R * t).view({R, t});
            if (need_weight) {
              region_im2col_kernel<scalar_t>
                  <<<num_blocks(R * t), kThreads, 0, stream>>>(
                      input.data_ptr<scalar_t>(), index.data_ptr<int64_t>(),
                      j0, t, R, C, H, W, out_h, out_w, kh, kw, sh, sw, ph, pw,
                      dh, dw, cols.data_ptr<scalar_t>());
              check_launch("region_conv kernel");
              grad_w2d.addmm_(g.t(), cols.t());
            }
            if (need_input) {
              at::mm_out(cols, w2d.t(), g.t());
              region_col2im_kernel<scalar_t>
                  <<<num_blocks(R * t), kThreads, 0, stream>>>(
                      cols.data_ptr<scalar_t>(), index.data_ptr<int64_t>(),
                      j0, t, R, C, H, W, out_h, out_w, kh, kw, sh, sw, ph, pw,
                      dh, dw, grad_input.data_ptr<scalar_t>());
              check_launch("region_conv kernel");
            }
          }
        });
  }
  return {grad_input, need_weight ? grad_w2d.view_as(weight) : at::Tensor(),
          grad_bias};
}

at::Tensor region_gather_cuda(const at::Tensor& input,
                              const at::Tensor& index_, cudaStream_t stream) {
  // Any strides: NCHW and channels-last inputs are read in place.
  const at::Tensor index = index_.contiguous();
  const int64_t C = input.size(1), W = input.size(3);
  const int64_t HW = input.size(2) * W;
  const int64_t K = index.numel();
  const Strides st{input.stride(0), input.stride(1), input.stride(2),
                   input.stride(3)};
  at::Tensor out = at::empty({K, C}, input.options());
  if (K * C == 0) return out;
  AT_DISPATCH_FLOATING_TYPES_AND2(
      at::kHalf, at::kBFloat16, input.scalar_type(), "region_gather_cuda",
      [&] {
        gather_kernel<scalar_t><<<num_blocks(K * C), kThreads, 0, stream>>>(
            input.data_ptr<scalar_t>(), index.data_ptr<int64_t>(), K, C, HW,
            W, st, out.data_ptr<scalar_t>());
        check_launch("region_conv kernel");
      });
  return out;
}

void region_scatter_cuda(at::Tensor& out, const at::Tensor& src_,
                         const at::Tensor& index_, cudaStream_t stream) {
  const at::Tensor src = src_.contiguous();
  const at::Tensor index = index_.contiguous();
  const int64_t C = out.size(1), W = out.size(3);
  const int64_t HW = out.size(2) * W;
  const int64_t K = index.numel();
  const Strides st{out.stride(0), out.stride(1), out.stride(2),
                   out.stride(3)};
  if (K * C == 0) return;
  AT_DISPATCH_FLOATING_TYPES_AND2(
      at::kHalf, at::kBFloat16, out.scalar_type(), "region_scatter_cuda",
      [&] {
        scatter_kernel<scalar_t><<<num_blocks(K * C), kThreads, 0, stream>>>(
            src.data_ptr<scalar_t>(), index.data_ptr<int64_t>(), K, C, HW, W,
            st, out.data_ptr<scalar_t>());
        check_launch("region_conv kernel");
      });
}
#endif  // WITH_CUDA
