// tk_optim.cpp: AdamW (torch::optim::AdamW over borrowed parameter tensors) and gradient-norm clipping.
#include "tk_internal.h"

#include <torch/optim/adamw.h>
#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>

using tk::T;

struct tk_optim_adamw {
  std::unique_ptr<torch::optim::AdamW> opt;
};

TK_API tk_optim_adamw_t tk_optim_adamw_new(const tk_tensor_t* params, int64_t n, double lr, double beta1,
                                           double beta2, double eps, double weight_decay, int32_t amsgrad) {
  TK_TRY(nullptr, {
    auto options = torch::optim::AdamWOptions(lr).betas({beta1, beta2}).eps(eps).weight_decay(weight_decay)
                       .amsgrad(amsgrad != 0);
    return new tk_optim_adamw{std::make_unique<torch::optim::AdamW>(tk::tensors(params, n), options)};
  })
}
TK_API void tk_optim_adamw_free(tk_optim_adamw_t o) { delete o; }

namespace {
torch::optim::AdamW& O(tk_optim_adamw_t o) {
  if (o == nullptr || !o->opt) throw std::invalid_argument("null optimizer handle");
  return *o->opt;
}
}  // namespace

TK_API int32_t tk_optim_adamw_step(tk_optim_adamw_t o) { TK_STATUS(O(o).step();) }
TK_API int32_t tk_optim_adamw_zero_grad(tk_optim_adamw_t o, int32_t set_to_none) {
  TK_STATUS({
    for (auto& group : O(o).param_groups())
      for (auto& p : group.params()) {
        if (!p.grad().defined()) continue;
        if (set_to_none != 0) p.mutable_grad().reset();
        else p.mutable_grad().zero_();
      }
  })
}
TK_API int32_t tk_optim_adamw_set_lr(tk_optim_adamw_t o, double lr) {
  TK_STATUS({
    for (auto& group : O(o).param_groups()) static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);
  })
}
TK_API int32_t tk_optim_adamw_get_lr(tk_optim_adamw_t o, double* lr) {
  TK_STATUS(*lr = static_cast<torch::optim::AdamWOptions&>(O(o).param_groups().at(0).options()).lr();)
}
// Saves the optimizer state (step counts, exp_avg, exp_avg_sq) to `path` in libtorch's archive format.
TK_API int32_t tk_optim_adamw_save(tk_optim_adamw_t o, const char* path) {
  TK_STATUS({
    torch::serialize::OutputArchive archive;
    O(o).save(archive);
    archive.save_to(path);
  })
}
// Loads state written by tk_optim_adamw_save for the same parameter list (same order and shapes).
TK_API int32_t tk_optim_adamw_load(tk_optim_adamw_t o, const char* path) {
  TK_STATUS({
    torch::serialize::InputArchive archive;
    archive.load_from(path);
    O(o).load(archive);
  })
}

// Scales the gradients of `params` so their joint 2-norm is at most max_norm; *total_norm = the norm before clipping.
TK_API int32_t tk_optim_clip_grad_norm(const tk_tensor_t* params, int64_t n, double max_norm, double* total_norm) {
  TK_STATUS({
    at::NoGradGuard no_grad;
    std::vector<at::Tensor> norms;
    std::vector<at::Tensor> grads;
    for (int64_t i = 0; i < n; i++) {
      const auto& g = T(params[i]).grad();
      if (!g.defined()) continue;
      grads.push_back(g);
      norms.push_back(at::norm(g.to(at::kFloat), 2));
    }
    if (grads.empty()) {
      *total_norm = 0.0;
      return 0;
    }
    double total = at::norm(at::stack(norms), 2).item<double>();
    *total_norm = total;
    double coef = max_norm / (total + 1e-6);
    if (coef < 1.0)
      for (auto& g : grads) g.mul_(coef);
  })
}
