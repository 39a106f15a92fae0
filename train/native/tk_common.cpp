// tk_common.cpp: errors, the live-tensor counter, threads, seeding.
#include "tk_internal.h"

#include <ATen/Parallel.h>

#include <atomic>
#include <cstdlib>
#include <cstring>

namespace {
thread_local std::string g_error;
thread_local bool g_has_error = false;
std::atomic<int64_t> g_live{0};
}  // namespace

namespace tk {
void set_error(const char* message) {
  g_error = message != nullptr ? message : "(no message)";
  g_has_error = true;
}

tk_tensor_t wrap(at::Tensor t) {
  auto* h = new tk_tensor{std::move(t)};
  g_live.fetch_add(1, std::memory_order_relaxed);
  return h;
}
}  // namespace tk

TK_API char* tk_error_take(void) {
  if (!g_has_error) return nullptr;
  char* copy = static_cast<char*>(std::malloc(g_error.size() + 1));
  if (copy != nullptr) std::memcpy(copy, g_error.c_str(), g_error.size() + 1);
  g_has_error = false;
  g_error.clear();
  return copy;
}

TK_API void tk_string_free(char* s) { std::free(s); }

TK_API int64_t tk_tensor_live_count(void) { return g_live.load(std::memory_order_relaxed); }

TK_API void tk_tensor_free(tk_tensor_t t) {
  if (t == nullptr) return;
  delete t;
  g_live.fetch_sub(1, std::memory_order_relaxed);
}

TK_API int32_t tk_set_num_threads(int32_t n) { TK_STATUS(at::set_num_threads(n);) }

TK_API int32_t tk_get_num_threads(void) { TK_TRY(-1, return at::get_num_threads();) }

TK_API int32_t tk_manual_seed(int64_t seed) { TK_STATUS(at::manual_seed(static_cast<uint64_t>(seed));) }
