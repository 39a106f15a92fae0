// tk_nn.cpp: neural-network functions, autograd, grad mode and CPU autocast.
#include "tk_internal.h"

#include <ATen/autocast_mode.h>
#include <c10/core/GradMode.h>

using tk::T;

// ---- nn functions ---------------------------------------------------------------------------------------------------
// reduction: 0 none, 1 mean (over targets != ignore_index), 2 sum. input (N, C) or (N, C, d...), target (N) int64.
TK_API tk_tensor_t tk_nn_cross_entropy(tk_tensor_t input, tk_tensor_t target, int64_t ignore_index, int32_t reduction,
                                       double label_smoothing) {
  TK_TRY(nullptr, {
    if (reduction < 0 || reduction > 2) throw std::invalid_argument("reduction must be 0 none, 1 mean or 2 sum");
    return tk::wrap(at::cross_entropy_loss(T(input), T(target), {}, reduction, ignore_index, label_smoothing));
  })
}
TK_API tk_tensor_t tk_nn_nll_loss(tk_tensor_t input, tk_tensor_t target, int64_t ignore_index, int32_t reduction) {
  TK_TENSOR(at::nll_loss_nd(T(input), T(target), {}, reduction, ignore_index))
}
// weight (V, D), indices int64 of any shape -> (..., D)
TK_API tk_tensor_t tk_nn_embedding(tk_tensor_t weight, tk_tensor_t indices, int64_t padding_idx) {
  TK_TENSOR(at::embedding(T(weight), T(indices), padding_idx))
}
TK_API tk_tensor_t tk_nn_dropout(tk_tensor_t input, double p, int32_t train) {
  TK_TENSOR(at::dropout(T(input), p, train != 0))
}
// Normalizes over the last `ndim` dims of shape `normalized_shape`; weight and bias may be NULL.
TK_API tk_tensor_t tk_nn_layer_norm(tk_tensor_t input, const int64_t* normalized_shape, int64_t ndim,
                                    tk_tensor_t weight, tk_tensor_t bias, double eps) {
  TK_TRY(nullptr, {
    c10::optional<at::Tensor> w = weight != nullptr ? c10::optional<at::Tensor>(T(weight)) : c10::nullopt;
    c10::optional<at::Tensor> b = bias != nullptr ? c10::optional<at::Tensor>(T(bias)) : c10::nullopt;
    return tk::wrap(at::layer_norm(T(input), tk::dims(normalized_shape, ndim), w, b, eps));
  })
}

// ---- autograd -------------------------------------------------------------------------------------------------------
TK_API int32_t tk_autograd_set_requires_grad(tk_tensor_t t, int32_t requires_grad) {
  TK_STATUS(T(t).requires_grad_(requires_grad != 0);)
}
TK_API int32_t tk_autograd_requires_grad(tk_tensor_t t) { TK_TRY(-1, return T(t).requires_grad() ? 1 : 0;) }
TK_API int32_t tk_autograd_is_leaf(tk_tensor_t t) { TK_TRY(-1, return T(t).is_leaf() ? 1 : 0;) }
// grad may be NULL (then t must be a scalar).
TK_API int32_t tk_autograd_backward(tk_tensor_t t, tk_tensor_t grad, int32_t retain_graph, int32_t create_graph) {
  TK_STATUS({
    at::Tensor g = grad != nullptr ? T(grad) : at::Tensor();
    T(t).backward(g, retain_graph != 0 ? c10::optional<bool>(true) : c10::nullopt, create_graph != 0);
  })
}
// *out = a new handle to t.grad, or NULL when t has no gradient.
TK_API int32_t tk_autograd_grad(tk_tensor_t t, tk_tensor_t* out) {
  TK_STATUS({
    const auto& g = T(t).grad();
    *out = g.defined() ? tk::wrap(g) : nullptr;
  })
}
// set_to_none != 0: drop the gradient tensor; else zero it in place.
TK_API int32_t tk_autograd_zero_grad(tk_tensor_t t, int32_t set_to_none) {
  TK_STATUS({
    auto& x = T(t);
    if (!x.grad().defined()) return 0;
    if (set_to_none != 0) x.mutable_grad().reset();
    else x.mutable_grad().zero_();
  })
}
TK_API tk_tensor_t tk_autograd_detach(tk_tensor_t t) { TK_TENSOR(T(t).detach()) }
TK_API int32_t tk_autograd_set_grad_enabled(int32_t enabled) { TK_STATUS(c10::GradMode::set_enabled(enabled != 0);) }
TK_API int32_t tk_autograd_is_grad_enabled(void) { TK_TRY(-1, return c10::GradMode::is_enabled() ? 1 : 0;) }

// ---- CPU autocast ---------------------------------------------------------------------------------------------------
// Enter: remember nothing here (C# keeps the previous state); enable with dtype and count the nesting.
TK_API int32_t tk_autocast_enter(int32_t dtype) {
  TK_STATUS({
    at::autocast::set_autocast_cpu_dtype(tk::dtype(dtype));
    at::autocast::set_cpu_enabled(true);
    at::autocast::increment_nesting();
  })
}
// Exit: restore the previous state; on leaving the outermost scope clear the cast-weight cache.
TK_API int32_t tk_autocast_exit(int32_t prev_enabled, int32_t prev_dtype) {
  TK_STATUS({
    if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
    at::autocast::set_cpu_enabled(prev_enabled != 0);
    at::autocast::set_autocast_cpu_dtype(tk::dtype(prev_dtype));
  })
}
TK_API int32_t tk_autocast_is_enabled(void) { TK_TRY(-1, return at::autocast::is_cpu_enabled() ? 1 : 0;) }
TK_API int32_t tk_autocast_dtype(void) {
  TK_TRY(-1, return static_cast<int32_t>(at::autocast::get_autocast_cpu_dtype());)
}
