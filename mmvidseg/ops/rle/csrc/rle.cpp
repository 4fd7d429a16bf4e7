// Copyright (c) OpenMMLab. All rights reserved.
// Areas and pairwise intersections of COCO compressed RLE masks.
//
// The video AP of YouTube-VIS needs, for every predicted and ground-truth
// mask of the same video, category and frame, their intersection, and the
// area of every mask. pycocotools decodes the compressed strings again in
// each `area` / `iou` call; here every string is decoded once and both
// quantities come from the decoded runs. Masks are grouped by a key (same
// key = same canvas, both sides of a pair); groups run in parallel.
//
// Compressed RLE (pycocotools' rleToString): column-major runs starting
// with zeros; each count is a little-endian base-32 varint of chars
// 48 + 5 bits (bit 5 = more chars follow, bit 4 of the last char = sign),
// and counts from the fourth on are stored as deltas from the count two
// before.
#include <torch/extension.h>

#include <algorithm>
#include <cstdint>
#include <vector>

namespace mmvidseg {
namespace rle {

// Decode one compressed string into runs, with the sums of all runs
// (pixels covered) and of the odd ones (area). Returns false on a
// malformed string (a character out of range, a count that ends
// mid-varint, or a negative run).
struct Chars {
  const char* data;
  size_t size;
};

static bool decode(const Chars& s, std::vector<int64_t>& runs,
                   int64_t& total, int64_t& area) {
  runs.clear();
  runs.reserve(s.size);
  total = area = 0;
  const unsigned char* p = reinterpret_cast<const unsigned char*>(s.data);
  const unsigned char* const end = p + s.size;
  while (p < end) {
    int64_t x = 0;
    int k = 0;
    int c;
    do {
      if (p >= end || k > 55) return false;
      c = static_cast<int>(*p++) - 48;
      if (c < 0 || c > 63) return false;
      x |= static_cast<int64_t>(c & 0x1f) << k;
      k += 5;
    } while (c & 0x20);
    if (c & 0x10) x |= -(static_cast<int64_t>(1) << k);
    const size_t m = runs.size();
    if (m > 2) x += runs[m - 2];
    if (x < 0) return false;
    runs.push_back(x);
    total += x;
    if (m & 1) area += x;
  }
  return true;
}

// Foreground pixels shared by two run lists of the same canvas.
static int64_t intersection(const std::vector<int64_t>& a,
                            const std::vector<int64_t>& b) {
  size_t i = 0, j = 0;
  int64_t ra = a.empty() ? 0 : a[0], rb = b.empty() ? 0 : b[0];
  bool va = false, vb = false;  // current run values (runs start with 0s)
  int64_t inter = 0;
  while (i < a.size() && j < b.size()) {
    const int64_t step = std::min(ra, rb);
    if (va && vb) inter += step;
    ra -= step;
    rb -= step;
    if (ra == 0) {
      if (++i < a.size()) ra = a[i];
      va = !va;
    }
    if (rb == 0) {
      if (++j < b.size()) rb = b[j];
      vb = !vb;
    }
  }
  return inter;
}

// Areas of all masks and intersections of the pairs within each key group.
//
// Args:
//   counts_list: (M) compressed RLE strings (str or bytes), read in place.
//   pixels: (M,) int64 canvas size (height * width) of each mask.
//   key: (M,) int64 group of each mask; masks of a group are paired
//     (ground truth x prediction), key < 0 = area only.
//   is_gt: (M,) bool side of each mask.
//
// Returns:
//   [area (M,), pair_gt (P,), pair_dt (P,), inter (P,), bad (1,)], all
//   int64: pairs are mask indices, grouped by ascending key, ground truth
//   then prediction in input order within a group; bad = index of the
//   first malformed mask (a string that does not decode or whose runs do
//   not cover its canvas exactly), -1 when all are valid.
std::vector<at::Tensor> area_and_intersections(
    const py::list& counts_list, const at::Tensor& pixels,
    const at::Tensor& key, const at::Tensor& is_gt) {
  // pointers into the Python objects (kept alive by the list), taken
  // with the GIL; the work below runs without it
  std::vector<Chars> counts;
  counts.reserve(py::len(counts_list));
  for (const py::handle& h : counts_list) {
    PyObject* o = h.ptr();
    Chars c{nullptr, 0};
    Py_ssize_t n = 0;
    if (PyUnicode_Check(o)) {
      c.data = PyUnicode_AsUTF8AndSize(o, &n);
    } else if (PyBytes_Check(o)) {
      char* b = nullptr;
      if (PyBytes_AsStringAndSize(o, &b, &n) == 0) c.data = b;
    }
    TORCH_CHECK(c.data != nullptr,
                "rle: counts must be str or bytes (mask ", counts.size(),
                ")");
    c.size = static_cast<size_t>(n);
    counts.push_back(c);
  }
  py::gil_scoped_release no_gil;
  const int64_t M = static_cast<int64_t>(counts.size());
  TORCH_CHECK(pixels.numel() == M && key.numel() == M && is_gt.numel() == M,
              "rle: counts, pixels, key and is_gt must have the same length");
  const at::Tensor px = pixels.to(at::kLong).contiguous();
  const at::Tensor ky = key.to(at::kLong).contiguous();
  const at::Tensor gt = is_gt.to(at::kBool).contiguous();
  const int64_t* pxp = px.data_ptr<int64_t>();
  const int64_t* kp = ky.data_ptr<int64_t>();
  const bool* gp = gt.data_ptr<bool>();

  // groups: masks sorted by key (stable), ground truth first
  std::vector<int64_t> order;
  order.reserve(M);
  for (int64_t m = 0; m < M; ++m)
    if (kp[m] >= 0) order.push_back(m);
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
    if (kp[a] != kp[b]) return kp[a] < kp[b];
    return gp[a] && !gp[b];
  });
  std::vector<int64_t> g_start, n_gt, pair_start;
  int64_t P = 0;
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    int64_t ng = 0;
    while (j < order.size() && kp[order[j]] == kp[order[i]]) {
      ng += gp[order[j]] ? 1 : 0;
      ++j;
    }
    g_start.push_back(static_cast<int64_t>(i));
    n_gt.push_back(ng);
    pair_start.push_back(P);
    P += ng * (static_cast<int64_t>(j - i) - ng);
    i = j;
  }
  g_start.push_back(static_cast<int64_t>(order.size()));
  const int64_t G = static_cast<int64_t>(n_gt.size());

  at::Tensor area = at::zeros({M}, at::kLong);
  at::Tensor pg = at::empty({P}, at::kLong);
  at::Tensor pd = at::empty({P}, at::kLong);
  at::Tensor inter = at::empty({P}, at::kLong);
  at::Tensor bad_all = at::full({M}, 0, at::kByte);
  int64_t* ap = area.data_ptr<int64_t>();
  int64_t* pgp = pg.data_ptr<int64_t>();
  int64_t* pdp = pd.data_ptr<int64_t>();
  int64_t* ip = inter.data_ptr<int64_t>();
  uint8_t* bp = bad_all.data_ptr<uint8_t>();

  // masks without a group: area only
  at::parallel_for(0, M, 256, [&](int64_t b, int64_t e) {
    std::vector<int64_t> runs;
    for (int64_t m = b; m < e; ++m) {
      if (kp[m] >= 0) continue;
      int64_t total, a;
      if (!decode(counts[m], runs, total, a) || total != pxp[m]) {
        bp[m] = 1;
        continue;
      }
      ap[m] = a;
    }
  });
  at::parallel_for(0, G, 1, [&](int64_t b, int64_t e) {
    std::vector<std::vector<int64_t>> runs;
    for (int64_t g = b; g < e; ++g) {
      const int64_t s0 = g_start[g], s1 = g_start[g + 1];
      runs.resize(static_cast<size_t>(s1 - s0));
      bool ok = true;
      for (int64_t s = s0; s < s1; ++s) {
        const int64_t m = order[s];
        auto& r = runs[s - s0];
        int64_t total, a;
        if (!decode(counts[m], r, total, a) || total != pxp[m] ||
            pxp[m] != pxp[order[s0]]) {
          bp[m] = 1;
          ok = false;
          r.clear();
          a = 0;
        }
        ap[m] = a;
      }
      const int64_t ng = n_gt[g], nd = s1 - s0 - ng;
      int64_t q = pair_start[g];
      for (int64_t a = 0; a < ng; ++a) {
        for (int64_t d = 0; d < nd; ++d, ++q) {
          pgp[q] = order[s0 + a];
          pdp[q] = order[s0 + ng + d];
          ip[q] = ok ? intersection(runs[a], runs[ng + d]) : 0;
        }
      }
    }
  });
  int64_t bad = -1;
  for (int64_t m = 0; m < M; ++m) {
    if (bp[m]) {
      bad = m;
      break;
    }
  }
  return {area, pg, pd, inter, at::full({1}, bad, at::kLong)};
}

}  // namespace rle
}  // namespace mmvidseg

PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) {
  m.doc() = "COCO compressed RLE: areas and grouped pairwise intersections";
  m.def("area_and_intersections", &mmvidseg::rle::area_and_intersections,
        "areas of all masks, intersections of the pairs in each key group",
        py::arg("counts"), py::arg("pixels"), py::arg("key"),
        py::arg("is_gt"));
}
