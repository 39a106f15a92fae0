// tk_internal.h: the C++ side of the conventions in tk_torch.h (handle struct, the one error macro, helpers).
#pragma once
#include "tk_torch.h"

#include <ATen/ATen.h>

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#define TK_API extern "C" __attribute__((visibility("default")))

struct tk_tensor {
  at::Tensor t;
};

namespace tk {

void set_error(const char* message);
tk_tensor_t wrap(at::Tensor t);  // new handle, counted in tk_tensor_live_count

inline at::Tensor& T(tk_tensor_t h) {
  if (h == nullptr) throw std::invalid_argument("null tensor handle");
  return h->t;
}

inline std::vector<at::Tensor> tensors(const tk_tensor_t* hs, int64_t n) {
  std::vector<at::Tensor> v;
  v.reserve(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; i++) v.push_back(T(hs[i]));
  return v;
}

inline at::IntArrayRef dims(const int64_t* p, int64_t n) { return at::IntArrayRef(p, static_cast<size_t>(n)); }

inline at::ScalarType dtype(int32_t code) {
  if (code < 0 || code >= static_cast<int32_t>(at::ScalarType::NumOptions))
    throw std::invalid_argument("unknown dtype code " + std::to_string(code));
  return static_cast<at::ScalarType>(code);
}

// Python-like scalar: a whole number applied to an integer tensor stays an integer (so int64 + 1 is int64).
inline at::Scalar scalar_for(const at::Tensor& t, double v) {
  if (at::isIntegralType(t.scalar_type(), /*includeBool=*/false) && std::floor(v) == v && std::fabs(v) < 9.0e15)
    return at::Scalar(static_cast<int64_t>(v));
  return at::Scalar(v);
}

}  // namespace tk

// The one macro around every export body: run `body`; on any exception record its message and return `fail`.
#define TK_TRY(fail, ...)                                                             \
  try {                                                                               \
    __VA_ARGS__                                                                       \
  } catch (const c10::Error& e) {                                                     \
    tk::set_error(e.what_without_backtrace());                                        \
    return fail;                                                                      \
  } catch (const std::exception& e) {                                                 \
    tk::set_error(e.what());                                                          \
    return fail;                                                                      \
  } catch (...) {                                                                     \
    tk::set_error("unknown C++ exception in libtk_torch");                            \
    return fail;                                                                      \
  }

// Shorthands: an export returning a fresh tensor handle, and one returning an int32_t status.
#define TK_TENSOR(expr) TK_TRY(nullptr, return tk::wrap(expr);)
#define TK_STATUS(...) TK_TRY(-1, __VA_ARGS__ return 0;)
