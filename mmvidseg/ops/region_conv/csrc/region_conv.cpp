// Copyright (c) OpenMMLab. All rights reserved.
// Region convolution: CPU kernels and the Python binding.
//
// A region convolution evaluates a 2-D convolution only at K "active" output
// pixels, given as flat indices ``n * Ho * Wo + y * Wo + x`` (int64, (K,)).
// The input is dense (N, C, H, W), stored NCHW or channels-last; the result
// is compact, (K, C_out), one row per active pixel.
//
// CPU: for each tile of active pixels, the kh x kw (dilated) input window of
// every pixel is copied into a small image, the windows side by side
// (1, C, kh, kw * T); a convolution with stride (1, kw) and no padding over
// that image gives exactly one output per pixel. It runs through at::conv2d
// (oneDNN on float32, the same engine as a dense F.conv2d), so an active
// pixel costs about what a dense pixel costs plus the window copy; the
// backward is at::convolution_backward on the same image, then the window
// gradients are added back into the dense input gradient (parallel over
// channels, so no two threads write one element). The CUDA file uses an
// explicit region im2col and cuBLAS GEMMs instead.
//
// ``gather`` / ``scatter_`` move rows between the compact (K, C) layout and a
// dense (N, C, H, W) tensor.
#include <ATen/Parallel.h>
#include <torch/extension.h>

#include <algorithm>
#include <optional>
#include <vector>

#ifdef WITH_CUDA
#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDAGuard.h>

// Defined in region_conv_cuda.cu; the caller sets the device guard and passes
// the current stream.
at::Tensor region_conv_forward_cuda(const at::Tensor& input,
                                    const at::Tensor& index,
                                    const at::Tensor& weight,
                                    const std::optional<at::Tensor>& bias,
                                    int64_t out_h, int64_t out_w, int64_t sh,
                                    int64_t sw, int64_t ph, int64_t pw,
                                    int64_t dh, int64_t dw,
                                    cudaStream_t stream);
std::vector<at::Tensor> region_conv_backward_cuda(
    const at::Tensor& grad_out, const at::Tensor& input,
    const at::Tensor& index, const at::Tensor& weight, int64_t out_h,
    int64_t out_w, int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t dh,
    int64_t dw, bool need_input, bool need_weight, bool need_bias,
    cudaStream_t stream);
at::Tensor region_gather_cuda(const at::Tensor& input, const at::Tensor& index,
                              cudaStream_t stream);
void region_scatter_cuda(at::Tensor& out, const at::Tensor& src,
                         const at::Tensor& index, cudaStream_t stream);
#endif

namespace {

// Pixels per tile: at most kMaxTile, and a patch buffer of at most
// kTileBytes. The last tile is padded up to a multiple of kTileStep pixels so
// that oneDNN sees few distinct shapes (its primitives are cached by shape).
constexpr int64_t kMaxTile = 1024;
constexpr int64_t kTileStep = 16;
constexpr int64_t kTileBytes = int64_t(16) << 20;

// Element strides of a dense 4-D tensor (NCHW or channels-last storage).
struct Layout {
  int64_t n, c, h, w;
};

Layout layout_of(const at::Tensor& t) {
  return {t.stride(0), t.stride(1), t.stride(2), t.stride(3)};
}

// Contiguous in NCHW or in channels-last order; anything else is copied.
at::Tensor dense_4d(const at::Tensor& t) {
  if (t.is_contiguous() || t.is_contiguous(at::MemoryFormat::ChannelsLast)) {
    return t;
  }
  return t.contiguous();
}

// The input as the patch copies read it best. A channels-first input with
// many active pixels is first transposed to channels-last (one dense pass),
// which makes every window copy contiguous; with few active pixels the
// strided copies are cheaper than the transpose (the switch at half of the
// pixels is estimated from timing both paths on one CPU).
at::Tensor patch_source(const at::Tensor& input, int64_t K, int64_t out_h,
                        int64_t out_w) {
  const at::Tensor x = dense_4d(input);
  if (x.stride(1) != 1 && 2 * K >= x.size(0) * out_h * out_w) {
    return x.contiguous(at::MemoryFormat::ChannelsLast);
  }
  return x;
}

// Per-pixel offsets of the active pixels.
struct PixelTable {
  std::vector<int64_t> n_off;  // n * stride_n of the input
  std::vector<int64_t> iy0;    // oy * sh - ph
  std::vector<int64_t> ix0;    // ox * sw - pw
};

PixelTable make_pixel_table(const at::Tensor& index, int64_t N,
                            int64_t stride_n, int64_t out_h, int64_t out_w,
                            int64_t sh, int64_t sw, int64_t ph, int64_t pw) {
  const int64_t K = index.numel();
  const int64_t plane = out_h * out_w;
  const int64_t total = N * plane;
  const int64_t* idx = index.data_ptr<int64_t>();
  PixelTable t;
  t.n_off.resize(K);
  t.iy0.resize(K);
  t.ix0.resize(K);
  for (int64_t j = 0; j < K; ++j) {
    const int64_t i = idx[j];
    TORCH_CHECK(i >= 0 && i < total, "region_conv: pixel index ", i,
                " is out of range [0, ", total, ") for output (N=", N,
                ", H=", out_h, ", W=", out_w, ")");
    const int64_t n = i / plane;
    const int64_t p = i - n * plane;
    const int64_t oy = p / out_w;
    t.n_off[j] = n * stride_n;
    t.iy0[j] = oy * sh - ph;
    t.ix0[j] = (p - oy * out_w) * sw - pw;
  }
  return t;
}

struct Geometry {
  int64_t C, H, W, kh, kw, dh, dw;
};

// Channels per task of the channels-first loops: one cache line of floats.
constexpr int64_t kChannelBlock = 16;
// Pixels per group of the channels-first loops (their patches stay in L2).
constexpr int64_t kPixelGroup = 32;

// Patches of the pixels [j0, j0 + cnt) into P, laid out (kh, kw * tp, C):
// element (ky, s * kw + kx, c) is input channel c at tap (ky, kx) of pixel s.
// Pixels s in [cnt, tp) (tile padding) and taps off the input are zero.
template <typename scalar_t>
void fill_patches(const scalar_t* x, const Layout& L, const PixelTable& t,
                  const Geometry& g, int64_t j0, int64_t cnt, int64_t tp,
                  scalar_t* P) {
  const int64_t kk = g.kh * g.kw;
  const int64_t C = g.C;
  if (L.c == 1) {
    // Channels-last input: each tap of each pixel is one contiguous copy.
    const int64_t grain = std::max<int64_t>(1, 8192 / std::max<int64_t>(kk * C, 1));
    at::parallel_for(0, tp, grain, [&](int64_t s0, int64_t s1) {
      for (int64_t s = s0; s < s1; ++s) {
        for (int64_t k = 0; k < kk; ++k) {
          const int64_t ky = k / g.kw, kx = k - (k / g.kw) * g.kw;
          scalar_t* dst = P + ((ky * g.kw * tp) + s * g.kw + kx) * C;
          const int64_t iy = s < cnt ? t.iy0[j0 + s] + ky * g.dh : -1;
          const int64_t ix = s < cnt ? t.ix0[j0 + s] + kx * g.dw : -1;
          if (iy < 0 || iy >= g.H || ix < 0 || ix >= g.W) {
            std::fill(dst, dst + C, scalar_t(0));
          } else {
            const scalar_t* src = x + t.n_off[j0 + s] + iy * L.h + ix * L.w;
            std::copy(src, src + C, dst);
          }
        }
      }
    });
    return;
  }
  // Channels-first input: pixels in small groups whose patches fit in the
  // L2 cache, and within a group a block of channels at a time, so that the
  // reads walk along a few planes instead of striding across all of them.
  const int64_t blocks = (C + kChannelBlock - 1) / kChannelBlock;
  at::parallel_for(0, (tp + kPixelGroup - 1) / kPixelGroup, 1,
                   [&](int64_t q0, int64_t q1) {
    for (int64_t q = q0; q < q1; ++q) {
      const int64_t s_end = std::min(tp, (q + 1) * kPixelGroup);
      for (int64_t b = 0; b < blocks; ++b) {
        const int64_t c0 = b * kChannelBlock;
        const int64_t nc = std::min(kChannelBlock, C - c0);
        for (int64_t s = q * kPixelGroup; s < s_end; ++s) {
          for (int64_t k = 0; k < kk; ++k) {
            const int64_t ky = k / g.kw, kx = k - (k / g.kw) * g.kw;
            scalar_t* dst = P + ((ky * g.kw * tp) + s * g.kw + kx) * C + c0;
            const int64_t iy = s < cnt ? t.iy0[j0 + s] + ky * g.dh : -1;
            const int64_t ix = s < cnt ? t.ix0[j0 + s] + kx * g.dw : -1;
            if (iy < 0 || iy >= g.H || ix < 0 || ix >= g.W) {
              std::fill(dst, dst + nc, scalar_t(0));
              continue;
            }
            const scalar_t* src =
                x + t.n_off[j0 + s] + c0 * L.c + iy * L.h + ix * L.w;
            for (int64_t c = 0; c < nc; ++c) dst[c] = src[c * L.c];
          }
        }
      }
    }
  });
}

// grad_x += the patch gradients gP (laid out as in fill_patches) of the
// pixels [j0, j0 + cnt). Parallel over channel blocks: no two tasks write the
// same element.
template <typename scalar_t>
void add_patches(const scalar_t* gP, const Layout& L, const PixelTable& t,
                 const Geometry& g, int64_t j0, int64_t cnt, int64_t tp,
                 scalar_t* gx) {
  const int64_t kk = g.kh * g.kw;
  const int64_t C = g.C;
  const int64_t blocks = (C + kChannelBlock - 1) / kChannelBlock;
  for (int64_t q0 = 0; q0 < cnt; q0 += kPixelGroup) {
    const int64_t q1 = std::min(cnt, q0 + kPixelGroup);
    at::parallel_for(0, blocks, 1, [&](int64_t b0, int64_t b1) {
      for (int64_t b = b0; b < b1; ++b) {
        const int64_t c0 = b * kChannelBlock;
        const int64_t nc = std::min(kChannelBlock, C - c0);
        for (int64_t s = q0; s < q1; ++s) {
          for (int64_t k = 0; k < kk; ++k) {
            const int64_t ky = k / g.kw, kx = k - (k / g.kw) * g.kw;
            const int64_t iy = t.iy0[j0 + s] + ky * g.dh;
            const int64_t ix = t.ix0[j0 + s] + kx * g.dw;
            if (iy < 0 || iy >= g.H || ix < 0 || ix >= g.W) continue;
            const scalar_t* src =
                gP + ((ky * g.kw * tp) + s * g.kw + kx) * C + c0;
            scalar_t* dst =
                gx + t.n_off[j0 + s] + c0 * L.c + iy * L.h + ix * L.w;
            for (int64_t c = 0; c < nc; ++c) dst[c * L.c] += src[c];
          }
        }
      }
    });
  }
}

int64_t max_tile(int64_t K, int64_t patch_bytes) {
  int64_t t = kMaxTile;
  while (t > kTileStep && t * patch_bytes > kTileBytes) t /= 2;
  return std::min(t, ((K + kTileStep - 1) / kTileStep) * kTileStep);
}

// A (kh, kw * tp, C) patch buffer seen as the NCHW tensor (1, C, kh, kw * tp)
// in channels-last storage.
at::Tensor patch_view(const at::Tensor& buf, const Geometry& g, int64_t tp) {
  return buf.narrow(0, 0, g.kh * g.kw * tp * g.C)
      .view({1, g.kh, g.kw * tp, g.C})
      .permute({0, 3, 1, 2});
}

void check_common(const at::Tensor& input, const at::Tensor& index,
                  const at::Tensor& weight) {
  TORCH_CHECK(input.dim() == 4, "region_conv: input must be (N, C, H, W), got ",
              input.sizes());
  TORCH_CHECK(weight.dim() == 4 && weight.size(1) == input.size(1),
              "region_conv: weight must be (C_out, ", input.size(1),
              ", kh, kw), got ", weight.sizes());
  TORCH_CHECK(index.dim() == 1 && index.scalar_type() == at::kLong,
              "region_conv: index must be a 1-D int64 tensor");
  TORCH_CHECK(input.device() == weight.device() &&
                  input.device() == index.device(),
              "region_conv: input, weight and index must be on one device");
  TORCH_CHECK(input.scalar_type() == weight.scalar_type(),
              "region_conv: input and weight dtypes differ");
}

// CPU forward. Each tile of pixels becomes an image of side-by-side patches,
// and one convolution with stride (1, kw) over it yields exactly one output
// per pixel. That convolution runs in oneDNN (mkldnn) like a dense
// F.conv2d, so the work per active pixel costs about what a dense pixel
// costs, plus the patch gather.
at::Tensor forward_cpu(const at::Tensor& input_, const at::Tensor& index_,
                       const at::Tensor& weight,
                       const std::optional<at::Tensor>& bias, int64_t out_h,
                       int64_t out_w, int64_t sh, int64_t sw, int64_t ph,
                       int64_t pw, int64_t dh, int64_t dw) {
  const at::Tensor input =
      patch_source(input_, index_.numel(), out_h, out_w);
  const at::Tensor index = index_.contiguous();
  const Geometry g{input.size(1), input.size(2), input.size(3),
                   weight.size(2), weight.size(3), dh, dw};
  const int64_t Cout = weight.size(0);
  const int64_t K = index.numel();
  at::Tensor out = at::empty({K, Cout}, input.options());
  if (K == 0) return out;
  const Layout L = layout_of(input);
  const PixelTable table =
      make_pixel_table(index, input.size(0), L.n, out_h, out_w, sh, sw, ph, pw);
  const int64_t T = max_tile(K, g.kh * g.kw * g.C * input.element_size());
  at::Tensor buf = at::empty({g.kh * g.kw * T * g.C}, input.options());
  AT_DISPATCH_FLOATING_TYPES(input.scalar_type(), "region_conv_forward", [&] {
    for (int64_t j0 = 0; j0 < K; j0 += T) {
      const int64_t cnt = std::min(T, K - j0);
      const int64_t tp = std::min(T, ((cnt + kTileStep - 1) / kTileStep) * kTileStep);
      fill_patches<scalar_t>(input.data_ptr<scalar_t>(), L, table, g, j0, cnt,
                             tp, buf.data_ptr<scalar_t>());
      at::Tensor o = at::conv2d(patch_view(buf, g, tp), weight, bias,
                                {1, g.kw});
      // (1, Cout, 1, tp) -> rows (tp, Cout).
      o = o.permute({0, 2, 3, 1}).reshape({tp, Cout});
      out.narrow(0, j0, cnt).copy_(o.narrow(0, 0, cnt));
    }
  });
  return out;
}

std::vector<at::Tensor> backward_cpu(const at::Tensor& grad_out_,
                                     const at::Tensor& input_,
                                     const at::Tensor& index_,
                                     const at::Tensor& weight, int64_t out_h,
                                     int64_t out_w, int64_t sh, int64_t sw,
                                     int64_t ph, int64_t pw, int64_t dh,
                                     int64_t dw, bool need_input,
                                     bool need_weight, bool need_bias) {
  const at::Tensor input =
      patch_source(input_, index_.numel(), out_h, out_w);
  const at::Tensor index = index_.contiguous();
  const at::Tensor grad_out = grad_out_.contiguous();
  const Geometry g{input.size(1), input.size(2), input.size(3),
                   weight.size(2), weight.size(3), dh, dw};
  const int64_t Cout = weight.size(0);
  const int64_t K = index.numel();
  TORCH_CHECK(grad_out.dim() == 2 && grad_out.size(0) == K &&
                  grad_out.size(1) == Cout,
              "region_conv: grad_out must be (K, C_out) = (", K, ", ", Cout,
              "), got ", grad_out.sizes());
  // zeros_like keeps the input's memory format.
  at::Tensor grad_input = need_input ? at::zeros_like(input) : at::Tensor();
  at::Tensor grad_weight = need_weight ? at::zeros_like(weight) : at::Tensor();
  at::Tensor grad_bias = need_bias ? grad_out.sum(0) : at::Tensor();
  if (K > 0 && (need_input || need_weight)) {
    const Layout L = layout_of(input);
    const Layout GL = need_input ? layout_of(grad_input) : L;
    const PixelTable table = make_pixel_table(index, input.size(0), L.n, out_h,
                                              out_w, sh, sw, ph, pw);
    const PixelTable gtable =
        need_input ? make_pixel_table(index, input.size(0), GL.n, out_h,
                                      out_w, sh, sw, ph, pw)
                   : table;
    const int64_t T = max_tile(K, g.kh * g.kw * g.C * input.element_size());
    at::Tensor buf = at::empty({g.kh * g.kw * T * g.C}, input.options());
    at::Tensor gbuf = at::zeros({T, Cout}, input.options());
    AT_DISPATCH_FLOATING_TYPES(
        input.scalar_type(), "region_conv_backward", [&] {
          for (int64_t j0 = 0; j0 < K; j0 += T) {
            const int64_t cnt = std::min(T, K - j0);
            const int64_t tp =
                std::min(T, ((cnt + kTileStep - 1) / kTileStep) * kTileStep);
            fill_patches<scalar_t>(input.data_ptr<scalar_t>(), L, table, g,
                                   j0, cnt, tp, buf.data_ptr<scalar_t>());
            // Output gradient of the tile, zero on the padding pixels, as
            // (1, Cout, 1, tp) in channels-last storage.
            at::Tensor gt = gbuf.narrow(0, 0, tp);
            gt.narrow(0, 0, cnt).copy_(grad_out.narrow(0, j0, cnt));
            if (cnt < tp) gt.narrow(0, cnt, tp - cnt).zero_();
            const at::Tensor g4 = gt.view({1, 1, tp, Cout}).permute({0, 3, 1, 2});
            auto grads = at::convolution_backward(
                g4, patch_view(buf, g, tp), weight, std::nullopt, {1, g.kw},
                {0, 0}, {1, 1}, false, {0, 0}, 1,
                {need_input, need_weight, false});
            if (need_weight) grad_weight.add_(std::get<1>(grads));
            if (need_input) {
              // (1, C, kh, kw * tp) -> storage (kh, kw * tp, C).
              const at::Tensor gP = std::get<0>(grads)
                                        .permute({0, 2, 3, 1})
                                        .contiguous();
              add_patches<scalar_t>(gP.data_ptr<scalar_t>(), GL, gtable, g, j0,
                                    cnt, tp, grad_input.data_ptr<scalar_t>());
            }
          }
        });
  }
  return {grad_input, grad_weight, grad_bias};
}

// Rows of the indexed pixels: dense (N, C, H, W) -> (K, C).
at::Tensor gather_cpu(const at::Tensor& input_, const at::Tensor& index_) {
  const at::Tensor input = dense_4d(input_);
  const at::Tensor index = index_.contiguous();
  const int64_t N = input.size(0), C = input.size(1), W = input.size(3);
  const int64_t HW = input.size(2) * W;
  const int64_t K = index.numel();
  const Layout L = layout_of(input);
  at::Tensor out = at::empty({K, C}, input.options());
  const int64_t* idx = index.data_ptr<int64_t>();
  for (int64_t j = 0; j < K; ++j) {
    TORCH_CHECK(idx[j] >= 0 && idx[j] < N * HW, "region_conv gather: index ",
                idx[j], " out of range [0, ", N * HW, ")");
  }
  AT_DISPATCH_FLOATING_TYPES(input.scalar_type(), "region_gather", [&] {
    const scalar_t* x = input.data_ptr<scalar_t>();
    scalar_t* o = out.data_ptr<scalar_t>();
    // Blocks of pixels; within a block, channel by channel, so that the
    // reads of a channels-first input stay in one plane.
    constexpr int64_t B = 64;
    at::parallel_for(0, (K + B - 1) / B, 1, [&](int64_t b0, int64_t b1) {
      for (int64_t b = b0; b < b1; ++b) {
        const int64_t j1 = std::min(K, (b + 1) * B);
        if (L.c == 1) {
          for (int64_t j = b * B; j < j1; ++j) {
            const scalar_t* src = x + idx[j] * C;  // channels-last pixel
            std::copy(src, src + C, o + j * C);
          }
          continue;
        }
        int64_t off[B];
        for (int64_t j = b * B; j < j1; ++j) {
          const int64_t n = idx[j] / HW, p = idx[j] - n * HW;
          off[j - b * B] = n * L.n + (p / W) * L.h + (p % W) * L.w;
        }
        for (int64_t c0 = 0; c0 < C; c0 += kChannelBlock) {
          const int64_t c1 = std::min(C, c0 + kChannelBlock);
          for (int64_t j = b * B; j < j1; ++j) {
            const scalar_t* src = x + off[j - b * B];
            scalar_t* dst = o + j * C;
            for (int64_t c = c0; c < c1; ++c) dst[c] = src[c * L.c];
          }
        }
      }
    });
  });
  return out;
}

// out (N, C, H, W) (NCHW or channels-last storage), written in place at the
// indexed pixels with the rows of src (K, C).
void scatter_cpu(at::Tensor& out, const at::Tensor& src_,
                 const at::Tensor& index_) {
  const at::Tensor src = src_.contiguous();
  const at::Tensor index = index_.contiguous();
  const int64_t N = out.size(0), C = out.size(1), W = out.size(3);
  const int64_t HW = out.size(2) * W;
  const int64_t K = index.numel();
  const Layout L = layout_of(out);
  const int64_t* idx = index.data_ptr<int64_t>();
  for (int64_t j = 0; j < K; ++j) {
    TORCH_CHECK(idx[j] >= 0 && idx[j] < N * HW, "region_conv scatter: index ",
                idx[j], " out of range [0, ", N * HW, ")");
  }
  AT_DISPATCH_FLOATING_TYPES(out.scalar_type(), "region_scatter", [&] {
    scalar_t* o = out.data_ptr<scalar_t>();
    const scalar_t* s = src.data_ptr<scalar_t>();
    constexpr int64_t B = 64;
    at::parallel_for(0, (K + B - 1) / B, 1, [&](int64_t b0, int64_t b1) {
      for (int64_t b = b0; b < b1; ++b) {
        const int64_t j1 = std::min(K, (b + 1) * B);
        if (L.c == 1) {
          for (int64_t j = b * B; j < j1; ++j) {
            std::copy(s + j * C, s + (j + 1) * C, o + idx[j] * C);
          }
          continue;
        }
        int64_t off[B];
        for (int64_t j = b * B; j < j1; ++j) {
          const int64_t n = idx[j] / HW, p = idx[j] - n * HW;
          off[j - b * B] = n * L.n + (p / W) * L.h + (p % W) * L.w;
        }
        for (int64_t c = 0; c < C; ++c) {
          scalar_t* oc = o + c * L.c;
          for (int64_t j = b * B; j < j1; ++j) {
            oc[off[j - b * B]] = s[j * C + c];
          }
        }
      }
    });
  });
}

}  // namespace

// ---------------------------------------------------------------------------
// Device dispatch (the Python side calls these).

at::Tensor region_conv_forward(const at::Tensor& input, const at::Tensor& index,
                               const at::Tensor& weight,
                               const std::optional<at::Tensor>& bias,
                               int64_t out_h, int64_t out_w, int64_t sh,
                               int64_t sw, int64_t ph, int64_t pw, int64_t dh,
                               int64_t dw) {
  check_common(input, index, weight);
  if (bias.has_value()) {
    TORCH_CHECK(bias->dim() == 1 && bias->size(0) == weight.size(0),
                "region_conv: bias must be (C_out,)");
  }
  if (input.is_cuda()) {
#ifdef WITH_CUDA
    const c10::cuda::CUDAGuard guard(input.device());
    return region_conv_forward_cuda(input, index, weight, bias, out_h, out_w,
                                    sh, sw, ph, pw, dh, dw,
                                    at::cuda::getCurrentCUDAStream());
#else
    TORCH_CHECK(false, "region_conv: built without CUDA");
#endif
  }
  return forward_cpu(input, index, weight, bias, out_h, out_w, sh, sw, ph, pw,
                     dh, dw);
}

std::vector<at::Tensor> region_conv_backward(
    const at::Tensor& grad_out, const at::Tensor& input,
    const at::Tensor& index, const at::Tensor& weight, int64_t out_h,
    int64_t out_w, int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t dh,
    int64_t dw, bool need_input, bool need_weight, bool need_bias) {
  check_common(input, index, weight);
  if (input.is_cuda()) {
#ifdef WITH_CUDA
    const c10::cuda::CUDAGuard guard(input.device());
    return region_conv_backward_cuda(grad_out, input, index, weight, out_h,
                                     out_w, sh, sw, ph, pw, dh, dw,
                                     need_input, need_weight, need_bias,
                                     at::cuda::getCurrentCUDAStream());
#else
    TORCH_CHECK(false, "region_conv: built without CUDA");
#endif
  }
  return backward_cpu(grad_out, input, index, weight, out_h, out_w, sh, sw, ph,
                      pw, dh, dw, need_input, need_weight, need_bias);
}

at::Tensor region_gather(const at::Tensor& input, const at::Tensor& index) {
  TORCH_CHECK(input.dim() == 4, "region_conv gather: input must be 4-D");
  TORCH_CHECK(index.dim() == 1 && index.scalar_type() == at::kLong,
              "region_conv gather: index must be a 1-D int64 tensor");
  if (input.is_cuda()) {
#ifdef WITH_CUDA
    const c10::cuda::CUDAGuard guard(input.device());
    return region_gather_cuda(input, index, at::cuda::getCurrentCUDAStream());
#else
    TORCH_CHECK(false, "region_conv: built without CUDA");
#endif
  }
  return gather_cpu(input, index);
}

void region_scatter_(at::Tensor out, const at::Tensor& src,
                     const at::Tensor& index) {
  TORCH_CHECK(out.dim() == 4 &&
                  (out.is_contiguous() ||
                   out.is_contiguous(at::MemoryFormat::ChannelsLast)),
              "region_conv scatter: out must be a 4-D tensor, contiguous "
              "in NCHW or channels-last order");
  TORCH_CHECK(src.dim() == 2 && src.size(0) == index.numel() &&
                  src.size(1) == out.size(1),
              "region_conv scatter: src must be (K, C) = (", index.numel(),
              ", ", out.size(1), "), got ", src.sizes());
  TORCH_CHECK(index.scalar_type() == at::kLong,
              "region_conv scatter: index must be int64");
  TORCH_CHECK(src.scalar_type() == out.scalar_type(),
              "region_conv scatter: src and out dtypes differ");
  if (out.is_cuda()) {
#ifdef WITH_CUDA
    const c10::cuda::CUDAGuard guard(out.device());
    region_scatter_cuda(out, src, index, at::cuda::getCurrentCUDAStream());
    return;
#else
    TORCH_CHECK(false, "region_conv: built without CUDA");
#endif
  }
  scatter_cpu(out, src, index);
}

bool with_cuda() {
#ifdef WITH_CUDA
  return true;
#else
  return false;
#endif
}

PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) {
  m.def("forward", &region_conv_forward,
        "region conv forward: dense input -> (K, C_out) at active pixels");
  m.def("backward", &region_conv_backward,
        "region conv backward: grads of input, weight and bias");
  m.def("gather", &region_gather, "dense (N, C, H, W) -> (K, C) rows");
  m.def("scatter_", &region_scatter_,
        "write (K, C) rows into dense (N, C, H, W) in place");
  m.def("with_cuda", &with_cuda, "whether CUDA kernels were compiled in");
}
