// tk_math.cpp: elementwise math, reductions, matmul family, comparisons and logic.
#include "tk_internal.h"

using tk::T;

// ---- binary arithmetic ----------------------------------------------------------------------------------------------
TK_API tk_tensor_t tk_tensor_add(tk_tensor_t a, tk_tensor_t b, double alpha) {
  TK_TENSOR(at::add(T(a), T(b), tk::scalar_for(T(b), alpha)))
}
TK_API tk_tensor_t tk_tensor_sub(tk_tensor_t a, tk_tensor_t b, double alpha) {
  TK_TENSOR(at::sub(T(a), T(b), tk::scalar_for(T(b), alpha)))
}
TK_API tk_tensor_t tk_tensor_mul(tk_tensor_t a, tk_tensor_t b) { TK_TENSOR(at::mul(T(a), T(b))) }
TK_API tk_tensor_t tk_tensor_div(tk_tensor_t a, tk_tensor_t b) { TK_TENSOR(at::div(T(a), T(b))) }
TK_API tk_tensor_t tk_tensor_add_scalar(tk_tensor_t a, double s) { TK_TENSOR(at::add(T(a), tk::scalar_for(T(a), s))) }
TK_API tk_tensor_t tk_tensor_sub_scalar(tk_tensor_t a, double s) { TK_TENSOR(at::sub(T(a), tk::scalar_for(T(a), s))) }
TK_API tk_tensor_t tk_tensor_mul_scalar(tk_tensor_t a, double s) { TK_TENSOR(at::mul(T(a), tk::scalar_for(T(a), s))) }
TK_API tk_tensor_t tk_tensor_div_scalar(tk_tensor_t a, double s) { TK_TENSOR(at::div(T(a), at::Scalar(s))) }
// s - a  (for C#'s `scalar - tensor`)
TK_API tk_tensor_t tk_tensor_rsub_scalar(tk_tensor_t a, double s) { TK_TENSOR(at::rsub(T(a), tk::scalar_for(T(a), s))) }
// s / a
TK_API tk_tensor_t tk_tensor_rdiv_scalar(tk_tensor_t a, double s) { TK_TENSOR(at::reciprocal(T(a)).mul(s)) }
TK_API tk_tensor_t tk_tensor_pow_scalar(tk_tensor_t a, double e) { TK_TENSOR(at::pow(T(a), at::Scalar(e))) }
TK_API tk_tensor_t tk_tensor_pow(tk_tensor_t a, tk_tensor_t e) { TK_TENSOR(at::pow(T(a), T(e))) }
TK_API tk_tensor_t tk_tensor_maximum(tk_tensor_t a, tk_tensor_t b) { TK_TENSOR(at::maximum(T(a), T(b))) }
TK_API tk_tensor_t tk_tensor_minimum(tk_tensor_t a, tk_tensor_t b) { TK_TENSOR(at::minimum(T(a), T(b))) }

// In place (used by optimizers and weight surgery; autograd rules as in Python).
TK_API int32_t tk_tensor_add_(tk_tensor_t a, tk_tensor_t b, double alpha) {
  TK_STATUS(T(a).add_(T(b), tk::scalar_for(T(b), alpha));)
}
TK_API int32_t tk_tensor_mul_scalar_(tk_tensor_t a, double s) { TK_STATUS(T(a).mul_(tk::scalar_for(T(a), s));) }
TK_API int32_t tk_tensor_zero_(tk_tensor_t a) { TK_STATUS(T(a).zero_();) }
TK_API int32_t tk_tensor_fill_(tk_tensor_t a, double v) { TK_STATUS(T(a).fill_(tk::scalar_for(T(a), v));) }

// ---- matmul family --------------------------------------------------------------------------------------------------
TK_API tk_tensor_t tk_tensor_matmul(tk_tensor_t a, tk_tensor_t b) { TK_TENSOR(at::matmul(T(a), T(b))) }
TK_API tk_tensor_t tk_tensor_bmm(tk_tensor_t a, tk_tensor_t b) { TK_TENSOR(at::bmm(T(a), T(b))) }
TK_API tk_tensor_t tk_tensor_outer(tk_tensor_t a, tk_tensor_t b) { TK_TENSOR(at::outer(T(a), T(b))) }
// x @ weight^T + bias; bias may be NULL.
TK_API tk_tensor_t tk_tensor_linear(tk_tensor_t x, tk_tensor_t weight, tk_tensor_t bias) {
  TK_TENSOR(bias != nullptr ? at::linear(T(x), T(weight), T(bias)) : at::linear(T(x), T(weight)))
}

// ---- unary ----------------------------------------------------------------------------------------------------------
TK_API tk_tensor_t tk_tensor_exp(tk_tensor_t a) { TK_TENSOR(at::exp(T(a))) }
TK_API tk_tensor_t tk_tensor_log(tk_tensor_t a) { TK_TENSOR(at::log(T(a))) }
TK_API tk_tensor_t tk_tensor_sqrt(tk_tensor_t a) { TK_TENSOR(at::sqrt(T(a))) }
TK_API tk_tensor_t tk_tensor_rsqrt(tk_tensor_t a) { TK_TENSOR(at::rsqrt(T(a))) }
TK_API tk_tensor_t tk_tensor_neg(tk_tensor_t a) { TK_TENSOR(at::neg(T(a))) }
TK_API tk_tensor_t tk_tensor_abs(tk_tensor_t a) { TK_TENSOR(at::abs(T(a))) }
TK_API tk_tensor_t tk_tensor_cos(tk_tensor_t a) { TK_TENSOR(at::cos(T(a))) }
TK_API tk_tensor_t tk_tensor_sin(tk_tensor_t a) { TK_TENSOR(at::sin(T(a))) }
TK_API tk_tensor_t tk_tensor_tanh(tk_tensor_t a) { TK_TENSOR(at::tanh(T(a))) }
TK_API tk_tensor_t tk_tensor_sigmoid(tk_tensor_t a) { TK_TENSOR(at::sigmoid(T(a))) }
TK_API tk_tensor_t tk_tensor_relu(tk_tensor_t a) { TK_TENSOR(at::relu(T(a))) }
TK_API tk_tensor_t tk_tensor_silu(tk_tensor_t a) { TK_TENSOR(at::silu(T(a))) }
TK_API tk_tensor_t tk_tensor_gelu(tk_tensor_t a, int32_t tanh_approx) {
  TK_TENSOR(at::gelu(T(a), tanh_approx != 0 ? "tanh" : "none"))
}
TK_API tk_tensor_t tk_tensor_logsigmoid(tk_tensor_t a) { TK_TENSOR(at::log_sigmoid(T(a))) }
// Clamp to [min, max]; has_min / has_max say which bound applies.
TK_API tk_tensor_t tk_tensor_clamp(tk_tensor_t a, double min, int32_t has_min, double max, int32_t has_max) {
  TK_TENSOR(at::clamp(T(a), has_min ? c10::optional<at::Scalar>(tk::scalar_for(T(a), min)) : c10::nullopt,
                      has_max ? c10::optional<at::Scalar>(tk::scalar_for(T(a), max)) : c10::nullopt))
}

// ---- reductions -----------------------------------------------------------------------------------------------------
TK_API tk_tensor_t tk_tensor_sum(tk_tensor_t a) { TK_TENSOR(at::sum(T(a))) }
TK_API tk_tensor_t tk_tensor_mean(tk_tensor_t a) { TK_TENSOR(at::mean(T(a))) }
TK_API tk_tensor_t tk_tensor_sum_dims(tk_tensor_t a, const int64_t* dims, int64_t n, int32_t keepdim) {
  TK_TENSOR(at::sum(T(a), tk::dims(dims, n), keepdim != 0))
}
TK_API tk_tensor_t tk_tensor_mean_dims(tk_tensor_t a, const int64_t* dims, int64_t n, int32_t keepdim) {
  TK_TENSOR(at::mean(T(a), tk::dims(dims, n), keepdim != 0))
}
TK_API tk_tensor_t tk_tensor_amax(tk_tensor_t a, const int64_t* dims, int64_t n, int32_t keepdim) {
  TK_TENSOR(at::amax(T(a), tk::dims(dims, n), keepdim != 0))
}
TK_API tk_tensor_t tk_tensor_max_all(tk_tensor_t a) { TK_TENSOR(at::max(T(a))) }
TK_API tk_tensor_t tk_tensor_min_all(tk_tensor_t a) { TK_TENSOR(at::min(T(a))) }
// max / min along `dim`: values and indices (int64).
TK_API int32_t tk_tensor_max_dim(tk_tensor_t a, int64_t dim, int32_t keepdim, tk_tensor_t* values,
                                 tk_tensor_t* indices) {
  TK_STATUS({
    auto r = at::max(T(a), dim, keepdim != 0);
    *values = tk::wrap(std::get<0>(r));
    *indices = tk::wrap(std::get<1>(r));
  })
}
TK_API int32_t tk_tensor_min_dim(tk_tensor_t a, int64_t dim, int32_t keepdim, tk_tensor_t* values,
                                 tk_tensor_t* indices) {
  TK_STATUS({
    auto r = at::min(T(a), dim, keepdim != 0);
    *values = tk::wrap(std::get<0>(r));
    *indices = tk::wrap(std::get<1>(r));
  })
}
TK_API tk_tensor_t tk_tensor_argmax(tk_tensor_t a, int64_t dim, int32_t keepdim) {
  TK_TENSOR(at::argmax(T(a), dim, keepdim != 0))
}
TK_API int32_t tk_tensor_topk(tk_tensor_t a, int64_t k, int64_t dim, int32_t largest, int32_t sorted,
                              tk_tensor_t* values, tk_tensor_t* indices) {
  TK_STATUS({
    auto r = at::topk(T(a), k, dim, largest != 0, sorted != 0);
    *values = tk::wrap(std::get<0>(r));
    *indices = tk::wrap(std::get<1>(r));
  })
}
TK_API tk_tensor_t tk_tensor_cumsum(tk_tensor_t a, int64_t dim) { TK_TENSOR(at::cumsum(T(a), dim)) }
TK_API tk_tensor_t tk_tensor_norm(tk_tensor_t a, double p) { TK_TENSOR(at::norm(T(a), p)) }
TK_API tk_tensor_t tk_tensor_softmax(tk_tensor_t a, int64_t dim) { TK_TENSOR(at::softmax(T(a), dim)) }
TK_API tk_tensor_t tk_tensor_log_softmax(tk_tensor_t a, int64_t dim) { TK_TENSOR(at::log_softmax(T(a), dim)) }
TK_API tk_tensor_t tk_tensor_logsumexp(tk_tensor_t a, int64_t dim, int32_t keepdim) {
  TK_TENSOR(at::logsumexp(T(a), {dim}, keepdim != 0))
}

// ---- comparisons, logic, selection ----------------------------------------------------------------------------------
// op: 0 eq, 1 ne, 2 lt, 3 le, 4 gt, 5 ge
namespace {
// B is at::Tensor or at::Scalar: the same six comparisons against either.
template <class B>
at::Tensor compare(const at::Tensor& a, const B& b, int32_t op) {
  switch (op) {
    case 0: return at::eq(a, b);
    case 1: return at::ne(a, b);
    case 2: return at::lt(a, b);
    case 3: return at::le(a, b);
    case 4: return at::gt(a, b);
    case 5: return at::ge(a, b);
  }
  throw std::invalid_argument("unknown comparison op " + std::to_string(op));
}
}  // namespace
TK_API tk_tensor_t tk_tensor_compare(tk_tensor_t a, tk_tensor_t b, int32_t op) { TK_TENSOR(compare(T(a), T(b), op)) }
TK_API tk_tensor_t tk_tensor_compare_scalar(tk_tensor_t a, double b, int32_t op) {
  TK_TENSOR(compare(T(a), tk::scalar_for(T(a), b), op))
}
TK_API tk_tensor_t tk_tensor_logical_and(tk_tensor_t a, tk_tensor_t b) { TK_TENSOR(at::logical_and(T(a), T(b))) }
TK_API tk_tensor_t tk_tensor_logical_or(tk_tensor_t a, tk_tensor_t b) { TK_TENSOR(at::logical_or(T(a), T(b))) }
TK_API tk_tensor_t tk_tensor_logical_not(tk_tensor_t a) { TK_TENSOR(at::logical_not(T(a))) }
TK_API tk_tensor_t tk_tensor_masked_fill(tk_tensor_t a, tk_tensor_t mask, double value) {
  TK_TENSOR(at::masked_fill(T(a), T(mask), tk::scalar_for(T(a), value)))
}
TK_API tk_tensor_t tk_tensor_where(tk_tensor_t cond, tk_tensor_t a, tk_tensor_t b) {
  TK_TENSOR(at::where(T(cond), T(a), T(b)))
}
TK_API int32_t tk_tensor_equal(tk_tensor_t a, tk_tensor_t b) { TK_TRY(-1, return at::equal(T(a), T(b)) ? 1 : 0;) }
TK_API int32_t tk_tensor_allclose(tk_tensor_t a, tk_tensor_t b, double rtol, double atol) {
  TK_TRY(-1, return at::allclose(T(a), T(b), rtol, atol) ? 1 : 0;)
}
