// tk_create.cpp: tensor creation, dtype / shape queries, casts, copies to and from caller memory, item.
#include "tk_internal.h"

#include <cstring>

namespace {
at::TensorOptions opts(int32_t dtype) { return at::TensorOptions().dtype(tk::dtype(dtype)); }

// ATen factories ignore TensorOptions::requires_grad (torch:: ones set it afterwards): a new handle, made a leaf that
// requires grad when asked.
tk_tensor_t leaf(at::Tensor t, int32_t requires_grad) {
  if (requires_grad != 0) t.requires_grad_(true);
  return tk::wrap(std::move(t));
}
}  // namespace

// ---- creation -------------------------------------------------------------------------------------------------------

// Copies `nbytes` from `data` into a new tensor of `shape` and `dtype`; nbytes must equal numel * element size.
TK_API tk_tensor_t tk_tensor_from_data(const void* data, int64_t nbytes, const int64_t* shape, int64_t ndim,
                                       int32_t dtype) {
  TK_TRY(nullptr, {
    auto t = at::empty(tk::dims(shape, ndim), at::TensorOptions().dtype(tk::dtype(dtype)));
    if (static_cast<int64_t>(t.nbytes()) != nbytes)
      throw std::invalid_argument("tk_tensor_from_data: " + std::to_string(nbytes) + " bytes given, shape " +
                                  c10::str(t.sizes()) + " of " + c10::toString(t.scalar_type()) + " needs " +
                                  std::to_string(t.nbytes()));
    if (nbytes > 0) std::memcpy(t.data_ptr(), data, static_cast<size_t>(nbytes));
    return tk::wrap(t);
  })
}

TK_API tk_tensor_t tk_tensor_zeros(const int64_t* shape, int64_t ndim, int32_t dtype, int32_t requires_grad) {
  TK_TRY(nullptr, return leaf(at::zeros(tk::dims(shape, ndim), opts(dtype)), requires_grad);)
}
TK_API tk_tensor_t tk_tensor_ones(const int64_t* shape, int64_t ndim, int32_t dtype, int32_t requires_grad) {
  TK_TRY(nullptr, return leaf(at::ones(tk::dims(shape, ndim), opts(dtype)), requires_grad);)
}
TK_API tk_tensor_t tk_tensor_empty(const int64_t* shape, int64_t ndim, int32_t dtype, int32_t requires_grad) {
  TK_TRY(nullptr, return leaf(at::empty(tk::dims(shape, ndim), opts(dtype)), requires_grad);)
}
TK_API tk_tensor_t tk_tensor_full(const int64_t* shape, int64_t ndim, double value, int32_t dtype,
                                  int32_t requires_grad) {
  TK_TRY(nullptr, return leaf(at::full(tk::dims(shape, ndim), value, opts(dtype)), requires_grad);)
}
TK_API tk_tensor_t tk_tensor_randn(const int64_t* shape, int64_t ndim, int32_t dtype, int32_t requires_grad) {
  TK_TRY(nullptr, return leaf(at::randn(tk::dims(shape, ndim), opts(dtype)), requires_grad);)
}
TK_API tk_tensor_t tk_tensor_rand(const int64_t* shape, int64_t ndim, int32_t dtype, int32_t requires_grad) {
  TK_TRY(nullptr, return leaf(at::rand(tk::dims(shape, ndim), opts(dtype)), requires_grad);)
}
TK_API tk_tensor_t tk_tensor_randint(int64_t low, int64_t high, const int64_t* shape, int64_t ndim, int32_t dtype) {
  TK_TENSOR(at::randint(low, high, tk::dims(shape, ndim), at::TensorOptions().dtype(tk::dtype(dtype))))
}
TK_API tk_tensor_t tk_tensor_arange(double start, double end, double step, int32_t dtype) {
  TK_TENSOR(at::arange(start, end, step, at::TensorOptions().dtype(tk::dtype(dtype))))
}
TK_API tk_tensor_t tk_tensor_eye(int64_t n, int32_t dtype) {
  TK_TENSOR(at::eye(n, at::TensorOptions().dtype(tk::dtype(dtype))))
}
TK_API tk_tensor_t tk_tensor_zeros_like(tk_tensor_t t) { TK_TENSOR(at::zeros_like(tk::T(t))) }
TK_API tk_tensor_t tk_tensor_ones_like(tk_tensor_t t) { TK_TENSOR(at::ones_like(tk::T(t))) }
TK_API tk_tensor_t tk_tensor_full_like(tk_tensor_t t, double value) {
  TK_TENSOR(at::full_like(tk::T(t), tk::scalar_for(tk::T(t), value)))
}

// A new handle to the same tensor (shares storage and autograd identity, like Python's `b = a`).
TK_API tk_tensor_t tk_tensor_alias(tk_tensor_t t) { TK_TENSOR(tk::T(t)) }

// ---- queries --------------------------------------------------------------------------------------------------------

TK_API int32_t tk_tensor_dtype(tk_tensor_t t) { TK_TRY(-1, return static_cast<int32_t>(tk::T(t).scalar_type());) }
TK_API int64_t tk_tensor_ndim(tk_tensor_t t) { TK_TRY(-1, return tk::T(t).dim();) }
TK_API int64_t tk_tensor_numel(tk_tensor_t t) { TK_TRY(-1, return tk::T(t).numel();) }
TK_API int64_t tk_tensor_element_size(tk_tensor_t t) { TK_TRY(-1, return static_cast<int64_t>(tk::T(t).element_size());) }
// Writes ndim sizes into `out` (capacity `cap`); returns ndim.
TK_API int64_t tk_tensor_shape(tk_tensor_t t, int64_t* out, int64_t cap) {
  TK_TRY(-1, {
    auto sizes = tk::T(t).sizes();
    if (static_cast<int64_t>(sizes.size()) > cap) throw std::invalid_argument("tk_tensor_shape: capacity too small");
    for (size_t i = 0; i < sizes.size(); i++) out[i] = sizes[i];
    return static_cast<int64_t>(sizes.size());
  })
}
TK_API int64_t tk_tensor_size(tk_tensor_t t, int64_t dim) { TK_TRY(-1, return tk::T(t).size(dim);) }
TK_API int32_t tk_tensor_is_contiguous(tk_tensor_t t) { TK_TRY(-1, return tk::T(t).is_contiguous() ? 1 : 0;) }

// ---- casts and copies -----------------------------------------------------------------------------------------------

TK_API tk_tensor_t tk_tensor_to(tk_tensor_t t, int32_t dtype) { TK_TENSOR(tk::T(t).to(tk::dtype(dtype))) }

// Copies the tensor's elements (made contiguous first) into `dst`; `nbytes` must equal numel * element size.
TK_API int32_t tk_tensor_copy_to(tk_tensor_t t, void* dst, int64_t nbytes) {
  TK_STATUS({
    auto c = tk::T(t).detach().contiguous();
    if (static_cast<int64_t>(c.nbytes()) != nbytes)
      throw std::invalid_argument("tk_tensor_copy_to: destination holds " + std::to_string(nbytes) +
                                  " bytes, tensor " + c10::str(c.sizes()) + " of " +
                                  c10::toString(c.scalar_type()) + " has " + std::to_string(c.nbytes()));
    if (nbytes > 0) std::memcpy(dst, c.data_ptr(), static_cast<size_t>(nbytes));
  })
}

// Copies `nbytes` from `src` into the (contiguous) tensor in place; sizes must match.
TK_API int32_t tk_tensor_copy_from(tk_tensor_t t, const void* src, int64_t nbytes) {
  TK_STATUS({
    auto& d = tk::T(t);
    if (!d.is_contiguous()) throw std::invalid_argument("tk_tensor_copy_from: tensor is not contiguous");
    if (static_cast<int64_t>(d.nbytes()) != nbytes)
      throw std::invalid_argument("tk_tensor_copy_from: source holds " + std::to_string(nbytes) + " bytes, tensor " +
                                  c10::str(d.sizes()) + " needs " + std::to_string(d.nbytes()));
    if (nbytes > 0) std::memcpy(d.data_ptr(), src, static_cast<size_t>(nbytes));
  })
}

// dst.copy_(src) (broadcasting, casting); records into autograd like Python's in-place copy.
TK_API int32_t tk_tensor_copy_(tk_tensor_t dst, tk_tensor_t src) { TK_STATUS(tk::T(dst).copy_(tk::T(src));) }

TK_API int32_t tk_tensor_item_double(tk_tensor_t t, double* out) { TK_STATUS(*out = tk::T(t).item<double>();) }
TK_API int32_t tk_tensor_item_int64(tk_tensor_t t, int64_t* out) { TK_STATUS(*out = tk::T(t).item<int64_t>();) }

// A short human-readable rendering (for ToString / debugging); malloc'd, free with tk_string_free.
TK_API char* tk_tensor_to_string(tk_tensor_t t) {
  TK_TRY(nullptr, {
    std::ostringstream os;
    os << tk::T(t);
    auto s = os.str();
    char* copy = static_cast<char*>(std::malloc(s.size() + 1));
    std::memcpy(copy, s.c_str(), s.size() + 1);
    return copy;
  })
}
