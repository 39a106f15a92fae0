// tk_views.cpp: shape and indexing ops (most return views that share storage with their input).
#include "tk_internal.h"

using tk::T;

TK_API tk_tensor_t tk_tensor_reshape(tk_tensor_t t, const int64_t* shape, int64_t ndim) {
  TK_TENSOR(T(t).reshape(tk::dims(shape, ndim)))
}
TK_API tk_tensor_t tk_tensor_view(tk_tensor_t t, const int64_t* shape, int64_t ndim) {
  TK_TENSOR(T(t).view(tk::dims(shape, ndim)))
}
TK_API tk_tensor_t tk_tensor_transpose(tk_tensor_t t, int64_t dim0, int64_t dim1) {
  TK_TENSOR(T(t).transpose(dim0, dim1))
}
TK_API tk_tensor_t tk_tensor_permute(tk_tensor_t t, const int64_t* dims, int64_t ndim) {
  TK_TENSOR(T(t).permute(tk::dims(dims, ndim)))
}
TK_API tk_tensor_t tk_tensor_narrow(tk_tensor_t t, int64_t dim, int64_t start, int64_t length) {
  TK_TENSOR(T(t).narrow(dim, start, length))
}
TK_API tk_tensor_t tk_tensor_slice(tk_tensor_t t, int64_t dim, int64_t start, int64_t end, int64_t step) {
  TK_TENSOR(T(t).slice(dim, start, end, step))
}
TK_API tk_tensor_t tk_tensor_select(tk_tensor_t t, int64_t dim, int64_t index) { TK_TENSOR(T(t).select(dim, index)) }
TK_API tk_tensor_t tk_tensor_unsqueeze(tk_tensor_t t, int64_t dim) { TK_TENSOR(T(t).unsqueeze(dim)) }
TK_API tk_tensor_t tk_tensor_squeeze(tk_tensor_t t) { TK_TENSOR(T(t).squeeze()) }
TK_API tk_tensor_t tk_tensor_squeeze_dim(tk_tensor_t t, int64_t dim) { TK_TENSOR(T(t).squeeze(dim)) }
TK_API tk_tensor_t tk_tensor_flatten(tk_tensor_t t, int64_t start_dim, int64_t end_dim) {
  TK_TENSOR(T(t).flatten(start_dim, end_dim))
}
TK_API tk_tensor_t tk_tensor_expand(tk_tensor_t t, const int64_t* shape, int64_t ndim) {
  TK_TENSOR(T(t).expand(tk::dims(shape, ndim)))
}
TK_API tk_tensor_t tk_tensor_contiguous(tk_tensor_t t) { TK_TENSOR(T(t).contiguous()) }
TK_API tk_tensor_t tk_tensor_clone(tk_tensor_t t) { TK_TENSOR(T(t).clone()) }
TK_API tk_tensor_t tk_tensor_index_select(tk_tensor_t t, int64_t dim, tk_tensor_t index) {
  TK_TENSOR(T(t).index_select(dim, T(index)))
}
TK_API tk_tensor_t tk_tensor_gather(tk_tensor_t t, int64_t dim, tk_tensor_t index) {
  TK_TENSOR(T(t).gather(dim, T(index)))
}
TK_API tk_tensor_t tk_tensor_scatter(tk_tensor_t t, int64_t dim, tk_tensor_t index, tk_tensor_t src) {
  TK_TENSOR(T(t).scatter(dim, T(index), T(src)))
}
TK_API tk_tensor_t tk_tensor_repeat_interleave(tk_tensor_t t, int64_t repeats, int64_t dim) {
  TK_TENSOR(T(t).repeat_interleave(repeats, dim))
}
TK_API tk_tensor_t tk_tensor_repeat(tk_tensor_t t, const int64_t* repeats, int64_t n) {
  TK_TENSOR(T(t).repeat(tk::dims(repeats, n)))
}
TK_API tk_tensor_t tk_tensor_cat(const tk_tensor_t* ts, int64_t n, int64_t dim) {
  TK_TENSOR(at::cat(tk::tensors(ts, n), dim))
}
TK_API tk_tensor_t tk_tensor_stack(const tk_tensor_t* ts, int64_t n, int64_t dim) {
  TK_TENSOR(at::stack(tk::tensors(ts, n), dim))
}
TK_API tk_tensor_t tk_tensor_triu(tk_tensor_t t, int64_t diagonal) { TK_TENSOR(T(t).triu(diagonal)) }
TK_API tk_tensor_t tk_tensor_tril(tk_tensor_t t, int64_t diagonal) { TK_TENSOR(T(t).tril(diagonal)) }

namespace {
int64_t write_parts(const std::vector<at::Tensor>& parts, tk_tensor_t* out, int64_t cap) {
  if (static_cast<int64_t>(parts.size()) > cap)
    throw std::invalid_argument("split into " + std::to_string(parts.size()) + " parts, capacity " +
                                std::to_string(cap));
  for (size_t i = 0; i < parts.size(); i++) out[i] = tk::wrap(parts[i]);
  return static_cast<int64_t>(parts.size());
}
}  // namespace

// Writes up to `cap` new handles into `out`; returns how many (chunk may return fewer than `chunks`).
TK_API int64_t tk_tensor_chunk(tk_tensor_t t, int64_t chunks, int64_t dim, tk_tensor_t* out, int64_t cap) {
  TK_TRY(-1, return write_parts(T(t).chunk(chunks, dim), out, cap);)
}
TK_API int64_t tk_tensor_split(tk_tensor_t t, int64_t split_size, int64_t dim, tk_tensor_t* out, int64_t cap) {
  TK_TRY(-1, return write_parts(T(t).split(split_size, dim), out, cap);)
}
